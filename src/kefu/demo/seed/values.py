"""The blanks of the order texts ({plan}, {date}, {district}, …), filled per order."""

import datetime as dt

from .draws import choice, randint
from .words import (
    BROADBAND_PLANS,
    DEVICES,
    ESTATES,
    MOBILE_PLANS,
    MODEMS,
    PLACES,
    RELATIVES,
    STREETS,
    SURNAMES,
    VAS_NAMES,
)


class Values(dict):
    """Template values made on first use, so an order only draws the random numbers it needs."""

    def __init__(self, ctx, customer, created):
        super().__init__()
        self.ctx, self.customer, self.day = ctx, customer, created.date()

    def __missing__(self, key):
        value = self[key] = str(getattr(self, "_" + key)(self.ctx.rng))
        return value

    def _amount(self, rng):
        return f"{randint(rng, 30, 800)}.{choice(rng, ['00', '50', '80', '20'])}"

    def _small_amount(self, rng):
        return choice(rng, [5, 8, 10, 15, 19, 20, 29, 30, 38])

    def _plan(self, rng):
        return choice(rng, MOBILE_PLANS).replace(" ", "")

    def _new_plan(self, rng):
        return choice(rng, [p for p in MOBILE_PLANS if p.replace(" ", "") != self["plan"]]).replace(" ", "")

    def _bb_plan(self, rng):
        return choice(rng, BROADBAND_PLANS).replace(" ", "")

    def _vas(self, rng):
        return choice(rng, VAS_NAMES)

    def _date(self, rng):
        d = self.day - dt.timedelta(days=randint(rng, 1, 25))
        return f"{d.month}月{d.day}日"

    def _future_date(self, rng):
        d = self.day + dt.timedelta(days=randint(rng, 1, 5))
        return f"{d.month}月{d.day}日"

    def _month(self, rng):
        return f"{(self.day.month - 2) % 12 + 1}月"

    def _days(self, rng):
        return randint(rng, 2, 7)

    def _hours(self, rng):
        return choice(rng, [4, 8, 12, 24, 48])

    def _minutes(self, rng):
        return choice(rng, [5, 10, 15, 20, 30, 40, 60])

    def _times(self, rng):
        return randint(rng, 3, 10)

    def _count(self, rng):
        return randint(rng, 2, 5)

    def _percent(self, rng):
        return choice(rng, [80, 85, 90, 95])

    def _data_gb(self, rng):
        return choice(rng, [10, 20, 30, 40, 60])

    def _speed(self, rng):
        return choice(rng, ["2M", "5M", "8M", "10M", "20M", "30M"])

    def _evening(self, rng):
        return randint(rng, 7, 10)

    def _place(self, rng):
        return choice(rng, PLACES)

    def _device(self, rng):
        return choice(rng, DEVICES)

    def _modem(self, rng):
        return choice(rng, MODEMS)

    def _relative(self, rng):
        return choice(rng, RELATIVES)

    def _road(self, rng):
        return choice(rng, STREETS)

    def _estate(self, rng):
        return choice(rng, ESTATES)

    def _building(self, rng):
        return randint(rng, 1, 28)

    def _door(self, rng):
        return randint(rng, 1, 399)

    def _store(self, rng):
        return f"{self.customer.district}{choice(rng, STREETS)}营业厅"

    def _staff_no(self, rng):
        return randint(rng, 1001, 9899)

    def _surname(self, rng):
        return choice(rng, SURNAMES)

    def _city(self, rng):
        return self.customer.city

    def _district(self, rng):
        return self.customer.district


def fill(template: str, values: Values) -> str:
    return template.format_map(values)
