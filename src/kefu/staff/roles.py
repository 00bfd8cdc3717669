"""The roles of REQUIREMENTS.md §1 as Django groups, and the permissions each one carries.

Groups are kept in step with this table on every `kefu migrate`, so a fresh installation has
working roles without demo data. Administrators may add groups of their own in the admin.
"""

from django.utils.translation import gettext_lazy as _

AGENT = "agent"
TECH_SUPPORT = "tech_support"
COORDINATOR = "complaint_coordinator"
SALES = "sales"
SUPERVISOR = "supervisor"
ADMINISTRATOR = "administrator"
AUDITOR = "auditor"
MANAGER = "manager"
QA_INSPECTOR = "quality_inspector"
# Not a person's role: the system user through which the customer portal acts (kefu.portal).
SELF_SERVICE = "self_service"

ROLE_LABELS = {
    AGENT: _("Customer service specialist"),
    TECH_SUPPORT: _("Tech support engineer"),
    COORDINATOR: _("Complaint coordinator"),
    SALES: _("Sales consultant"),
    SUPERVISOR: _("Supervisor / quality manager"),
    ADMINISTRATOR: _("Administrator"),
    AUDITOR: _("Auditor"),
    MANAGER: _("Service manager"),
    QA_INSPECTOR: _("Quality inspector"),
    SELF_SERVICE: _("Self-service portal (system)"),
}

_READ = [
    "customers.view_customer", "customers.view_account", "customers.view_subscription",
    "contacts.view_contact", "contacts.view_identityverification",
    "orders.view_workorder", "orders.view_category", "orders.view_orderevent",
    "orders.view_feedback", "staff.view_department",
    "routing.view_dispatchrule", "routing.view_skill",
    "knowledge.view_article", "knowledge.view_phrase",
]
_FRONT = _READ + [
    # The front line sees a caller's data once the caller passed identity verification (or
    # with a stated reason): customers.services.reveal_identity enforces that, and audits it.
    "customers.view_identity",
    "customers.add_customer", "customers.change_customer",
    "customers.add_account", "customers.change_account",
    "customers.add_subscription", "customers.change_subscription",
    "contacts.add_contact", "contacts.change_contact", "contacts.add_identityverification",
    "orders.add_workorder", "orders.change_workorder", "orders.cancel_workorder",
    "orders.accept_workorder", "orders.dispatch_workorder", "orders.handle_workorder",
    "orders.close_workorder", "orders.reopen_workorder", "orders.handover_workorder",
    "orders.record_feedback", "orders.answer_workorder",
]
_HANDLER = _READ + [
    "contacts.add_contact", "contacts.add_identityverification",
    "orders.change_workorder", "orders.cancel_workorder", "orders.handle_workorder", "orders.dispatch_workorder",
    "orders.handover_workorder", "orders.record_feedback", "orders.answer_workorder",
]

# Data scopes (kefu.scopes): the front line answers anyone calling the region's hotline;
# specialists work their department's orders; auditors check everything.
_REGION = ["staff.data_scope_region"]
_DEPARTMENT = ["staff.data_scope_department"]
# PIPL requests (kefu.privacy): the front line and coordinators receive them; supervisors
# handle them (export, correct, erase); auditors read them and the retention purge's records.
_PRIVACY_RECEIVE = ["privacy.add_privacyrequest", "privacy.view_privacyrequest"]
_PRIVACY_RECORDS = ["privacy.view_privacyrequest", "privacy.view_purgerun", "privacy.view_anonymisation"]

# Reports (kefu.reports): the front line and specialists see their own figures; supervisors
# and quality managers their data scope's; management everything.
_OWN_FIGURES = ["reports.view_own_figures", "reports.add_reportsubscription", "reports.view_reportsubscription"]
_REPORTS = _OWN_FIGURES + ["reports.view_report", "reports.view_snapshot"]
# Quality inspection (质检): the automatic checks' findings; supervisors are the quality managers.
_QUALITY = ["quality.view_checkhit", "quality.view_contactcheck", "quality.view_checkrule", "quality.view_scorecard",
            "quality.view_inspection"]
# Inspectors (质检员) score contacts; the quality manager (the supervisor) keeps the scorecard and
# decides appeals; agents read their own inspections and appeal them.
_INSPECT = _QUALITY + ["quality.add_inspection", "quality.change_inspection", "quality.view_sample", "quality.view_samplingrun"]
_QA_LEAD = _INSPECT + ["quality.add_scorecard", "quality.change_scorecard", "quality.arbitrate_appeal",
                       "quality.add_samplingrun", "quality.view_samplingplan", "quality.change_samplingplan"]
_INSPECTED = ["quality.view_inspection", "quality.add_appeal"]
# Follow-up calls (回访) and surveys: the front line makes the calls; supervisors also keep the
# questionnaires.
_FOLLOW_UP = ["followup.view_followuptask", "followup.add_attempt", "surveys.view_invitation", "surveys.view_optout"]
_SURVEYS = ["surveys.view_instrument", "surveys.add_instrument", "surveys.change_instrument", "surveys.view_answer",
            "surveys.change_invitation"]  # change_invitation: reviewing a flagged low score
# Quarterly relationship survey waves, and mystery shopper visits (神秘顾客) recorded by supervisors
# and quality managers as evaluators.
_WAVES_AND_VISITS = ["surveys.view_surveywave", "surveys.add_surveywave", "surveys.view_shoppervisit",
                     "surveys.add_shoppervisit"]
# Corrective actions (整改): quality managers (the supervisors) run them; management reads and
# verifies them; inspectors open them from their findings. Owners work their own, whatever their role.
_CORRECTIVE = ["corrective.view_correctiveaction", "corrective.add_correctiveaction",
               "corrective.change_correctiveaction", "corrective.verify_correctiveaction"]
_CORRECTIVE_CHECK = ["corrective.view_correctiveaction", "corrective.verify_correctiveaction"]
_CORRECTIVE_OPEN = ["corrective.view_correctiveaction", "corrective.add_correctiveaction"]
# Knowledge tests (培训考试): supervisors keep the question bank, build tests, assign them and read
# the results of their scope's people; management reads them; whoever is assigned a test takes
# it and reads their own.
_TESTS = ["training.take_exam"]
_TRAINING_READ = ["training.view_question", "training.view_exam", "training.view_examassignment"]
_TRAINING = _TRAINING_READ + ["training.add_question", "training.change_question", "training.add_exam",
                              "training.change_exam", "training.add_examassignment"]

# Staff assessment (考核): everyone reads their own sheet; supervisors compute and publish their
# teams' (they read their department's sheets), management also keeps the schemes.
_ASSESSED = ["assessment.view_result"]
_ASSESS = _ASSESSED + ["assessment.view_scheme", "assessment.view_run", "assessment.add_run", "assessment.publish_run"]
_ASSESS_SCHEMES = _ASSESS + ["assessment.add_scheme", "assessment.change_scheme"]
# The hotline's call records (kefu.cti): agents read the calls they answered; supervisors and
# managers every call of their data scope.
# Recordings open only with their own permission (audited): leads, managers and inspectors, who
# inspect calls; the wallboard is the supervisors' and managers'.
_OWN_CALLS = ["cti.view_call"]
_CALLS = _OWN_CALLS + ["cti.view_any_call", "cti.open_recording", "cti.view_wallboard"]
_INSPECT_CALLS = _OWN_CALLS + ["cti.view_any_call", "cti.open_recording"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _FRONT + _REGION + _PRIVACY_RECEIVE + _OWN_FIGURES + _FOLLOW_UP + _INSPECTED + _TESTS + _ASSESSED + _OWN_CALLS + ["orders.reject_workorder"],
    SALES: _FRONT + _REGION + _OWN_FIGURES + _TESTS + _ASSESSED,
    TECH_SUPPORT: _HANDLER + _DEPARTMENT + _OWN_FIGURES + _TESTS + _ASSESSED,
    COORDINATOR: _FRONT + _REGION + _PRIVACY_RECEIVE + _OWN_FIGURES + _FOLLOW_UP + _INSPECTED + _TESTS + _ASSESSED + [
        "orders.reject_workorder",
        # Anyone who handles customers' data may report a breach; supervisors run the response.
        "security.add_securityincident", "security.view_securityincident",
    ],
    SUPERVISOR: _FRONT + _REGION + _PRIVACY_RECORDS + _REPORTS + _FOLLOW_UP + _SURVEYS + _WAVES_AND_VISITS + _QA_LEAD + _CORRECTIVE + _TRAINING + _TESTS + _ASSESS + _CALLS + [
        "orders.reject_workorder", "orders.manage_any_workorder", "orders.view_board",
        "orders.add_category", "orders.change_category", "audit.view_auditentry",
        "knowledge.add_article", "knowledge.change_article", "knowledge.add_phrase", "knowledge.change_phrase",
        "routing.add_dispatchrule", "routing.change_dispatchrule", "routing.delete_dispatchrule",
        "routing.add_skill", "routing.change_skill", "routing.view_presencechange", "staff.change_department",
        # Failed logins and lockouts: see them, and unlock someone by deleting the attempt.
        "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accessfailurelog", "axes.view_accesslog",
        "security.view_securityincident", "security.add_securityincident", "security.change_securityincident",
        "privacy.add_privacyrequest", "privacy.change_privacyrequest", "privacy.handle_privacyrequest",
    ],
    AUDITOR: _READ + _PRIVACY_RECORDS + ["staff.data_scope_all", "audit.view_auditentry", "orders.view_board", "axes.view_accessattempt", "axes.view_accessfailurelog", "axes.view_accesslog",
                      "security.view_securityincident"],
    # Management (服务经理): every figure of the whole organisation, the closed reports, and
    # closing a period by hand; reads orders, changes nothing else.
    MANAGER: _READ + _REPORTS + _QUALITY + _CORRECTIVE_CHECK + _TRAINING_READ + _ASSESS_SCHEMES + _CALLS + ["staff.data_scope_all", "orders.view_board", "reports.close_period"],
    ADMINISTRATOR: ["*"],
    QA_INSPECTOR: _READ + _REGION + _INSPECT + _CORRECTIVE_OPEN + _TESTS + _ASSESSED + _INSPECT_CALLS,
    # The portal's system user (cannot log in): registers the signed-in customer's requests,
    # records each as a contact, records their answers, withdrawals and feedback. It handles nothing
    # and owns nothing for long: the first person to accept or take a self-service order
    # becomes its first-contact owner. Scope `all` because the portal itself allows only the
    # signed-in customer's own orders.
    SELF_SERVICE: [
        "orders.view_workorder", "orders.view_orderevent", "orders.view_feedback",
        "orders.add_workorder", "orders.answer_workorder", "orders.cancel_workorder", "orders.record_feedback",
        "contacts.add_contact", "contacts.change_contact", "staff.data_scope_all",
    ],
}


def sync_roles(using="default"):
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # Other apps' permissions may not exist yet when this runs; creating them is idempotent.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    all_perms = {f"{p.content_type.app_label}.{p.codename}": p
                 for p in Permission.objects.using(using).select_related("content_type")}
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        if wanted == ["*"]:
            perms = list(all_perms.values())
        else:
            missing = [w for w in wanted if w not in all_perms]
            if missing:
                raise LookupError(f"role {role!r} names unknown permissions: {missing}")
            perms = [all_perms[w] for w in wanted]
        group.permissions.set(perms)


def sync_roles_after_migrate(sender, using="default", **kwargs):
    sync_roles(using=using)
