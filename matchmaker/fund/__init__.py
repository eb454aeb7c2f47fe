"""The zone's special fund (专项资金): programmes with written rules, grants against their
budgets, and the listing reserve pool (上市后备企业库) whose stages the listing awards pay."""
