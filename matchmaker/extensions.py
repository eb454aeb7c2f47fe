"""Flask extensions, created unbound and bound to an app in the factory."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
