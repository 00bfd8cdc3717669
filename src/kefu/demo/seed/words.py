"""The words of the demo, read once from the UTF-8 JSON files in data/ (shipped with the package):

- people.json: surnames with how often each is drawn, given names by sex (one-character names
  first: a second character is drawn from the first 20), relatives;
- places.json: provinces (weight among customers), their cities (administrative code, area
  code) and districts (code); streets, estates, places, company and government unit names;
- products.json: mobile number prefixes, plans by product and customer, value-added services
  and their prices, devices and modems;
- templates.json: work order texts by category code, [title, description]; resolutions.json:
  resolutions by category code, else by kind; {placeholders} are filled per order (values.py);
- notes.json: severity notes, reasons of actions, feedback comments, first replies, contact
  summaries, and what the customer reads of an order by kind ({name}: the category's name).

Editing a file changes the demo; the same seed and anchor still give the same data for it.
"""

import json
from importlib.resources import files


def _load(name: str) -> dict:
    return json.loads(files(__package__).joinpath("data", f"{name}.json").read_text(encoding="utf-8"))


_people, _places, _products, _notes = (_load(n) for n in ("people", "places", "products", "notes"))

# --- people and places
SURNAMES = [name for name, weight in _people["surnames"].items() for _ in range(weight)]
GIVEN_MALE, GIVEN_FEMALE, RELATIVES = _people["given_male"], _people["given_female"], _people["relatives"]
# (province, weight, [(city, 4-digit admin code, area code, [(district, 2-digit code), ...])])
REGIONS = [(r["province"], r["weight"], [(c["city"], c["code"], c["area"], [tuple(d) for d in c["districts"]])
                                         for c in r["cities"]]) for r in _places["regions"]]
STREETS, ESTATES, PLACES = _places["streets"], _places["estates"], _places["places"]
COMPANY_BRANDS, INDUSTRIES, GOV_UNITS = _places["company_brands"], _places["industries"], _places["gov_units"]

# --- products
MOBILE_PREFIXES = _products["mobile_prefixes"]
MOBILE_PLANS, SENIOR_PLANS, YOUTH_PLANS = _products["mobile_plans"], _products["senior_plans"], _products["youth_plans"]
BROADBAND_PLANS, ENTERPRISE_BROADBAND = _products["broadband_plans"], _products["enterprise_broadband"]
FIXED_PLANS = _products["fixed_plans"]
VAS_PLANS = _products["vas_plans"]
VAS_NAMES = list(VAS_PLANS)
DEVICES, MODEMS = _products["devices"], _products["modems"]

# --- order texts
TEMPLATES = {code: [tuple(pair) for pair in pairs] for code, pairs in _load("templates").items()}
RESOLUTIONS = _load("resolutions")
MAJOR_COMPLAINT, MAJOR_FAULT = _notes["major_complaint"], _notes["major_fault"]
MAJOR_ENTERPRISE_FAULT, URGENT_NOTES = _notes["major_enterprise_fault"], _notes["urgent_notes"]
REGULATOR_PREFIX = _notes["regulator_prefix"]
WAIT_REASONS, REJECT_REASONS = _notes["wait_reasons"], _notes["reject_reasons"]
CANCEL_REASONS, REOPEN_REASONS = _notes["cancel_reasons"], _notes["reopen_reasons"]
DISPUTE_REASON, LOW_SCORE_REASON = _notes["dispute_reason"], _notes["low_score_reason"]
AUTO_CONFIRM_NOTE = _notes["auto_confirm_note"]
TRANSFER_TO, TRANSFER_REASONS = _notes["transfer_to"], _notes["transfer_reasons"]
HAPPY_COMMENTS, UNHAPPY_COMMENTS = _notes["happy_comments"], _notes["unhappy_comments"]
FIRST_REPLIES = _notes["first_replies"]
KIND_VERBS, CHANNEL_OPENERS = _notes["kind_verbs"], _notes["channel_openers"]
# What the customer reads of an order (its customer-visible summary), by kind; {name}: the
# category's name. Self-service orders carry the customer's own words (their title) instead.
CUSTOMER_SUMMARIES = _notes["customer_summaries"]
ANSWERED = _notes["answered"]
