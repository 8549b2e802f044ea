"""The roles (groups) of the roadmap's approval chains; ids are the lane names in the BPMN files."""

ROLES: dict[str, tuple[str, str]] = {
    "dpo_officer": ("Специалист Департамента профессионального образования", "Dept. of Professional Education officer"),
    "dpo_head": ("Начальник Департамента профессионального образования", "Dept. of Professional Education head"),
    "dtzn_officer": ("Специалист Департамента труда и занятости населения", "Dept. of Labour and Employment officer"),
    "dtzn_head": ("Начальник Департамента труда и занятости населения", "Dept. of Labour and Employment head"),
    "di_officer": ("Менеджер проекта Департамента инвестиций", "Dept. of Investments project manager"),
    "di_head": ("Начальник Департамента инвестиций", "Dept. of Investments head"),
    "sector_officer": ("Специалист отраслевого департамента", "Sector department officer"),
    "project_office": (
        "Специалист Департамента проектной деятельности – регионального проектного офиса",
        "Regional project office officer",
    ),
    "finance_officer": ("Специалист Департамента финансов", "Finance officer"),
    "legal_officer": ("Правовое управление", "Legal reviewer"),
    "records_office": ("Управление делами (регистрация актов)", "Records office"),
    "deputy_governor": ("Заместитель Губернатора по научно-образовательному комплексу", "Curating Deputy Governor"),
    "coordinator": ("Координатор внедрения Стандарта", "Regional staffing Coordinator"),
    "college_officer": ("Ответственный сотрудник ПОО", "College officer"),
    "college_director": ("Директор ПОО", "College director"),
    "employment_centre": ("Специалист центра занятости населения", "Employment centre officer"),
    "investor": ("Представитель инвестора", "Investor representative"),
    "cc_secretary": ("Секретарь Координационного совета", "Coordination Council secretary"),
    "cc_chair": ("Председатель Координационного совета", "Coordination Council chair"),
    "cc_member": ("Член Координационного совета", "Coordination Council member"),
    "ec_secretary": ("Секретарь Экспертного совета", "Expert Council secretary"),
    "ec_chair": ("Председатель Экспертного совета", "Expert Council chair"),
    "ec_member": ("Член Экспертного совета", "Expert Council member"),
    "wg_secretary": ("Секретарь Рабочей группы", "Working Group secretary"),
    "wg_chair": ("Руководитель Рабочей группы", "Working Group chair"),
    "wg_member": ("Член Рабочей группы", "Working Group member"),
    "auditor": ("Аудитор (контрольное управление)", "Auditor"),
    "admin": ("Администратор системы", "System administrator"),
}

# Heads who may assign the tasks of a group to one of its members.
GROUP_HEADS: dict[str, str] = {
    "dpo_officer": "dpo_head",
    "dtzn_officer": "dtzn_head",
    "di_officer": "di_head",
    "college_officer": "college_director",
}

# The secretary of each collegial body: its decision tasks sit in this group until a signed protocol closes them.
BODY_SECRETARY: dict[str, str] = {
    "coordination_council": "cc_secretary",
    "expert_council": "ec_secretary",
    "working_group": "wg_secretary",
}
