"""Flask extensions, created unbound and bound to an app in the factory."""
from flask_login import LoginManager

login_manager = LoginManager()
