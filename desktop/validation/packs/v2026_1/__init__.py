"""Register template v2026.1: field rules, then cross-field rules in Register's order of concerns.

Rules (SPEC §5) by module: ``fields`` (presence, length, format, code lists), ``course`` (route,
subjects, route-dependent requirements), ``dates`` (windows relative to today), ``degrees``,
``diversity`` (disabilities), ``funding`` (fund code, funding method, initiatives), ``schools``
(URN shapes; what only Register can confirm), ``advice`` (published formats Register does not
enforce) and the table rule ``duplicates``; ``wording`` gives Register's CSV page wording of the
API messages (SPEC §8.8). The pack's data (routes, funding tables, initiatives
per cycle, special URNs, remaps) is ``resources/rules/v2026.1/`` and becomes ``PACK.facts``.
"""

from __future__ import annotations

from desktop.validation.engine import RulePack
from desktop.validation.packs.v2026_1.advice import PublishedFormats
from desktop.validation.packs.v2026_1.course import RouteRequirements, SubjectsForRoute, TrainingRoute
from desktop.validation.packs.v2026_1.dates import DateOfBirth, IttDates, TraineeStartDate
from desktop.validation.packs.v2026_1.degrees import Degree, DegreeSilentChanges
from desktop.validation.packs.v2026_1.diversity import Disabilities
from desktop.validation.packs.v2026_1.duplicates import DuplicatesInFile
from desktop.validation.packs.v2026_1.facts import load_facts
from desktop.validation.packs.v2026_1.fields import field_rules
from desktop.validation.packs.v2026_1.funding import FundCode, FundingMethod, TrainingInitiatives
from desktop.validation.packs.v2026_1.schools import SchoolUrnShape, UrnsOnlyRegisterCanConfirm
from desktop.validation.packs.v2026_1.wording import csv_wording
from desktop.validation.template import load_template

VERSION = "v2026.1"

PACK = RulePack(
    version=VERSION,
    rules=(
        *field_rules(load_template(VERSION)),
        DateOfBirth(),
        IttDates(),
        TraineeStartDate(),
        TrainingRoute(),
        SubjectsForRoute(),
        RouteRequirements(),
        Disabilities(),
        SchoolUrnShape(),
        Degree(),
        FundCode(),
        FundingMethod(),
        TrainingInitiatives(),
        DegreeSilentChanges(),
        PublishedFormats(),
    ),
    table_rules=(DuplicatesInFile(), UrnsOnlyRegisterCanConfirm()),
    facts=load_facts(VERSION),
    csv_wording=csv_wording,
)
