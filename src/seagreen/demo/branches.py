"""Demo data for green sub-branch recognition, made through the module's services at past times:

* last year's round, in which 威海市商业银行荣成支行 was asked for more, resubmitted, was approved by
  all three authorities and recognised (on the public list, with its certificate); its first annual
  report was submitted and passed this spring;
* a round open now, with a draft (环翠支行), an application approved by one authority and waiting
  for the other two (农商银行乳山支行), and one asked for more (农商银行荣成支行);
* 威海市商业银行文登支行 with nothing yet, for a bank officer to apply for.

The organisations are the demo's (``seagreen.demo.flows.ORGANISATIONS``).

Seeds only a module without any round, so running it again (or on a deployment in use) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor, ActorKind
from seagreen.branches import service
from seagreen.branches.domain import LOCAL_TZ, Policy, Viewer, local_date
from seagreen.branches.schemas import (
    ApplicationCreate,
    ApplicationDraft,
    ReportCreate,
    ReportDecision,
    ReviewCreate,
    RoundCreate,
)
from seagreen.kit.pdf import CertificateDocument, render_certificate
from seagreen.kit.storage import DocumentStore

DEMO_POLICY = Policy(
    authorities=("wh-finance-bureau", "pbc-weihai", "nfra-weihai"), lead_authority="wh-finance-bureau"
)
BANK = "wh-commercial-bank"
RURAL_BANK = "wh-rural-bank"

STRONG: dict[str, str | list[str]] = {
    "loans_total": "2860000000.00",
    "loans_total_prev": "2540000000.00",
    "green_loans": "1912000000.00",
    "green_loans_prev": "1480000000.00",
    "new_loans": "1210000000.00",
    "green_new_loans": "905000000.00",
    "new_loans_prev": "1130000000.00",
    "green_new_loans_prev": "702000000.00",
    "npl_total": "24300000.00",
    "green_npl": "5100000.00",
    "loan_rate": "4.62",
    "green_loan_rate": "4.05",
    "credit_customers": "1480",
    "green_customers": "963",
    "green_department": "yes",
    "separate_quota": "yes",
    "approval_channel": "yes",
    "green_staff": "8",
    "training_hours": "236",
    "product_lines": ["green_credit", "blue_finance", "carbon_finance", "green_consumer"],
    "es_due_diligence": "yes",
    "es_veto": "yes",
    "env_disclosure": "yes",
}
NARRATIVE = (
    "支行设立绿色金融部（8 名专职人员），单列绿色信贷规模，开通绿色审批“快速通道”；"
    "重点支持海洋牧场、海带和牡蛎养殖、海上风电和港口岸电；推出“海洋碳汇贷”和“蓝色产业贷”，"
    "授信前开展环境和社会风险尽职调查，对环境违法企业一票否决，每年发布环境信息披露报告。"
)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def _authority(code: str) -> tuple[Viewer, Actor]:
    return Viewer(org_code=code, authority=code), Actor(ActorKind.SYSTEM, "demo", f"demo ({code})", code)


def _bank(code: str) -> tuple[Viewer, Actor]:
    return Viewer(org_code=code, bank=code), Actor(ActorKind.SYSTEM, "demo", f"demo ({code})", code)


def _material(title: str, branch: str) -> service.Upload:
    pdf = render_certificate(
        CertificateDocument(title=title, fields=[("支行", branch), ("说明", "演示材料，非真实数据 (demo)")])
    )
    return service.Upload(f"{title}.pdf", pdf)


def _files(store: DocumentStore, *uploads: service.Upload) -> service.Attachments:
    return service.Attachments(store, uploads, 10 * 1024 * 1024)


@dataclass(frozen=True)
class BranchesDemoReport:
    rounds: int
    applications: int
    recognised: str | None


def _apply(
    session: Session,
    store: DocumentStore,
    *,
    round_code: str,
    bank: str,
    branch: str,
    branch_name: str,
    email: str,
    values: dict[str, str | list[str]],
    at: datetime,
    submit: bool,
) -> int:
    viewer, actor = _bank(bank)
    created = service.create_application(
        session,
        viewer,
        ApplicationCreate(
            round=round_code,
            branch=branch,
            contact_name="绿色金融部",
            contact_phone="0631-5200000",
            contact_email=email,
            narrative=NARRATIVE,
            values=values,
        ),
        actor=actor,
        now=at,
        attachments=_files(
            store,
            _material("绿色金融工作情况报告", branch_name),
            _material("绿色贷款台账（摘要）", branch_name),
        ),
    )
    if submit:
        service.submit_application(session, viewer, created.id, actor=actor, now=at + timedelta(hours=2))
    return created.id


def _review(
    session: Session,
    application_id: int,
    code: str,
    decision: Literal["approve", "reject", "request_more"],
    reason: str,
    at: datetime,
) -> None:
    viewer, actor = _authority(code)
    service.review_application(
        session,
        viewer,
        application_id,
        ReviewCreate(decision=decision, reason=reason),
        policy=DEMO_POLICY,
        actor=actor,
        now=at,
    )


def load_branches_demo(session: Session, store: DocumentStore, *, now: datetime) -> BranchesDemoReport:
    if service.list_rounds(session, now=now):
        return BranchesDemoReport(0, 0, None)
    service.load_shipped(session)
    today = local_date(now)
    base = today.year - 1 if today >= date(today.year, 3, 25) else today.year - 2

    # Last year's round: Rongcheng asked for more, resubmitted, recognised; its first report passed.
    past = f"{base}-1"
    bureau, bureau_actor = _authority("wh-finance-bureau")
    service.open_round(
        session,
        bureau,
        RoundCreate(
            code=past,
            title_zh=f"{base} 年第一批绿色支行认定",
            title_en=f"Green sub-branches {base}, round 1",
            deadline=date(base, 5, 31),
        ),
        policy=DEMO_POLICY,
        actor=bureau_actor,
        now=_at(date(base, 3, 1)),
    )
    rongcheng = _apply(
        session,
        store,
        round_code=past,
        bank=BANK,
        branch="wh-commercial-bank-rc",
        branch_name="威海市商业银行荣成支行",
        email="green.rongcheng@example.com",
        values=STRONG,
        at=_at(date(base, 4, 10)),
        submit=True,
    )
    _review(
        session, rongcheng, "wh-finance-bureau", "approve", "指标达标，材料齐全。", _at(date(base, 5, 20))
    )
    _review(
        session,
        rongcheng,
        "pbc-weihai",
        "request_more",
        "请补充绿色贷款逐笔台账（按蓝色产业目录标注）。",
        _at(date(base, 5, 21)),
    )
    viewer, bank_actor = _bank(BANK)
    service.attach_documents(
        session,
        viewer,
        rongcheng,
        _files(store, _material("绿色贷款逐笔台账", "威海市商业银行荣成支行")),
        actor=bank_actor,
        now=_at(date(base, 5, 25)),
    )
    service.submit_application(session, viewer, rongcheng, actor=bank_actor, now=_at(date(base, 5, 25), 15))
    for offset, code in enumerate(DEMO_POLICY.authorities):
        _review(
            session, rongcheng, code, "approve", "补充材料已核实，同意认定。", _at(date(base, 6, 10 + offset))
        )
    recognised = service.get_application(session, viewer, rongcheng).recognition
    assert recognised is not None
    service.submit_report(
        session,
        viewer,
        recognised,
        ReportCreate(year=base, narrative="全年绿色贷款增长 29%，新增海洋牧场贷款 12 笔。", values=STRONG),
        policy=DEMO_POLICY,
        actor=bank_actor,
        now=_at(date(base + 1, 3, 10)),
        attachments=_files(store, _material(f"{base}年度运营情况报告", "威海市商业银行荣成支行")),
    )
    service.decide_report(
        session,
        bureau,
        recognised,
        base,
        ReportDecision(decision="pass", reason="报告完整，各项指标保持达标。"),
        policy=DEMO_POLICY,
        actor=bureau_actor,
        now=_at(date(base + 1, 3, 20)),
    )

    # The round open now.
    current = f"{today.year}-1" if today.year != base else f"{today.year}-2"
    service.open_round(
        session,
        bureau,
        RoundCreate(
            code=current,
            title_zh=f"{today.year} 年绿色支行认定",
            title_en=f"Green sub-branches {today.year}",
            deadline=today + timedelta(days=50),
        ),
        policy=DEMO_POLICY,
        actor=bureau_actor,
        now=now - timedelta(days=10),
    )
    draft_values = {
        k: v for k, v in STRONG.items() if k.startswith(("loans", "green_loans", "credit", "green_cust"))
    }
    huancui_viewer, huancui_actor = _bank(BANK)
    huancui = service.create_application(
        session,
        huancui_viewer,
        ApplicationCreate(
            round=current,
            branch="wh-commercial-bank-hc",
            contact_email="green.huancui@example.com",
            values=draft_values,
        ),
        actor=huancui_actor,
        now=now - timedelta(days=3),
    )
    service.save_application(
        session,
        huancui_viewer,
        huancui.id,
        ApplicationDraft(
            contact_name="王经理", contact_email="green.huancui@example.com", values=draft_values
        ),
        actor=huancui_actor,
        now=now - timedelta(days=2),
    )
    rushan = _apply(
        session,
        store,
        round_code=current,
        bank=RURAL_BANK,
        branch="wh-rural-bank-rs",
        branch_name="威海农商银行乳山支行",
        email="green.rushan@example.com",
        values={**STRONG, "green_loans": "1760000000.00", "green_staff": "4", "training_hours": "92"},
        at=now - timedelta(days=5),
        submit=True,
    )
    _review(
        session, rushan, "pbc-weihai", "approve", "牡蛎产业绿色信贷特色突出，同意。", now - timedelta(days=2)
    )
    rural_rc = _apply(
        session,
        store,
        round_code=current,
        bank=RURAL_BANK,
        branch="wh-rural-bank-rc",
        branch_name="威海农商银行荣成支行",
        email="green.rural-rc@example.com",
        values={**STRONG, "separate_quota": "no"},
        at=now - timedelta(days=8),
        submit=True,
    )
    _review(
        session,
        rural_rc,
        "nfra-weihai",
        "request_more",
        "未单列绿色信贷规模（门槛指标）；如已单列，请补充总行批复文件。",
        now - timedelta(days=4),
    )
    service.tick(session, policy=DEMO_POLICY, now=now)  # closes last year's round, as the scheduled job would
    return BranchesDemoReport(rounds=2, applications=4, recognised=recognised)
