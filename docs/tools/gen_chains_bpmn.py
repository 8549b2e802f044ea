"""Authoring aid: writes the roadmap chains (bpmn/kcp_*.bpmn, professions_*.bpmn, investor_case.bpmn).

The .bpmn files are the source of truth once committed (analysts edit them in bpmn.io / Camunda Modeler);
this script only produced their first version with a readable grid layout: one lane per role, one column
per step, left to right, so no two flow-node shapes overlap. Run: ``python docs/tools/gen_chains_bpmn.py``.
"""
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parents[2]
COL_W, LANE_H, X0, LANE_X, POOL_X = 150, 150, 230, 130, 100
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
TAGS = {
    "start": ("bpmn:startEvent", "event"), "end": ("bpmn:endEvent", "event"), "user": ("bpmn:userTask", "task"),
    "service": ("bpmn:serviceTask", "task"), "xor": ("bpmn:exclusiveGateway", "gateway"),
    "and": ("bpmn:parallelGateway", "gateway"), "catch": ("bpmn:intermediateCatchEvent", "event"),
    "boundary": ("bpmn:boundaryEvent", "event"),
}


class Process:
    def __init__(self, pid, name, lanes, doc=""):
        self.pid, self.name, self.doc = pid, name, doc
        self.lanes = lanes  # [(group id, Russian label)]
        self.nodes, self.flows, self.messages = {}, [], {}

    def node(self, nid, kind, name, lane, col, **kw):
        assert nid not in self.nodes, nid
        if kind != "boundary":
            for other in self.nodes.values():
                assert not (other["kind"] != "boundary" and other["lane"] == lane and other["col"] == col), (nid, other["id"])
        self.nodes[nid] = {"id": nid, "kind": kind, "name": name, "lane": lane, "col": col, **kw}

    def flow(self, src, tgt, name=None, cond=None, default=False):
        fid = f"f_{src}__{tgt}"
        self.flows.append({"id": fid, "src": src, "tgt": tgt, "name": name, "cond": cond})
        if default:
            self.nodes[src]["default"] = fid

    # --- geometry ---------------------------------------------------------------------------------
    def lane_top(self, lane):
        return 60 + [g for g, _ in self.lanes].index(lane) * LANE_H

    def bounds(self, n):
        if n["kind"] == "boundary":
            host = self.bounds(self.nodes[n["attached"]])
            return host[0] + 64, host[1] + 62, 36, 36
        w, h = SIZES[TAGS[n["kind"]][1]]
        cx = X0 + n["col"] * COL_W + 50
        cy = self.lane_top(n["lane"]) + 70
        return cx - w // 2, cy - h // 2, w, h

    def width(self):
        return X0 - POOL_X + (max(n["col"] for n in self.nodes.values()) + 1) * COL_W + 40

    def waypoints(self, f):
        s, t = self.nodes[f["src"]], self.nodes[f["tgt"]]
        sx, sy, sw, sh = self.bounds(s)
        tx, ty, tw, th = self.bounds(t)
        scx, scy, tcx, tcy = sx + sw // 2, sy + sh // 2, tx + tw // 2, ty + th // 2
        gap_after_src = X0 + s["col"] * COL_W + 100 + 25
        if s["kind"] == "boundary":
            low = self.lane_top(self.nodes[s["attached"]]["lane"]) + LANE_H - 8
            gap = X0 + t["col"] * COL_W - 25
            if t["col"] > s["col"]:
                return [(scx, sy + sh), (scx, low), (gap, low), (gap, tcy), (tx, tcy)]
            return [(scx, sy + sh), (scx, low), (tcx, low), (tcx, ty)]
        if t["col"] > s["col"]:
            if scy == tcy:
                return [(sx + sw, scy), (tx, tcy)]
            return [(sx + sw, scy), (gap_after_src, scy), (gap_after_src, tcy), (tx, tcy)]
        self._back = getattr(self, "_back", {})  # spread the back edges so they do not run on top of each other
        k = self._back.setdefault(f["id"], len(self._back))
        top = min(self.lane_top(s["lane"]), self.lane_top(t["lane"])) + 5 + 7 * (k % 4)
        return [(sx + sw, scy), (gap_after_src, scy), (gap_after_src, top), (tcx, top), (tcx, ty)]

    # --- XML ----------------------------------------------------------------------------------------
    def xml(self):
        out = []
        a = out.append
        a('<?xml version="1.0" encoding="UTF-8"?>')
        a('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
          ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
          ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
          ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
          f' id="defs_{self.pid}" targetNamespace="http://soglasie.example/bpmn">')
        a(f'  <bpmn:collaboration id="collab_{self.pid}">')
        a(f'    <bpmn:participant id="pool_{self.pid}" name={quoteattr(self.name)} processRef="{self.pid}"/>')
        a('  </bpmn:collaboration>')
        for mid, mname in self.messages.items():
            a(f'  <bpmn:message id="{mid}" name="{mname}"/>')
        a(f'  <bpmn:process id="{self.pid}" name={quoteattr(self.name)} isExecutable="true">')
        if self.doc:
            a(f'    <bpmn:documentation>{escape(self.doc)}</bpmn:documentation>')
        a(f'    <bpmn:laneSet id="lanes_{self.pid}">')
        for group, label in self.lanes:
            a(f'      <bpmn:lane id="lane_{group}" name="{group}">')
            a(f'        <bpmn:documentation>{escape(label)}</bpmn:documentation>')
            for n in self.nodes.values():
                if n["lane"] == group:
                    a(f'        <bpmn:flowNodeRef>{n["id"]}</bpmn:flowNodeRef>')
            a('      </bpmn:lane>')
        a('    </bpmn:laneSet>')
        for n in self.nodes.values():
            out.extend(self._node_xml(n))
        for f in self.flows:
            name = f' name={quoteattr(f["name"])}' if f["name"] else ""
            if f["cond"]:
                a(f'    <bpmn:sequenceFlow id="{f["id"]}"{name} sourceRef="{f["src"]}" targetRef="{f["tgt"]}">')
                a(f'      <bpmn:conditionExpression>{escape(f["cond"])}</bpmn:conditionExpression>')
                a('    </bpmn:sequenceFlow>')
            else:
                a(f'    <bpmn:sequenceFlow id="{f["id"]}"{name} sourceRef="{f["src"]}" targetRef="{f["tgt"]}"/>')
        a('  </bpmn:process>')
        a(f'  <bpmndi:BPMNDiagram id="diagram_{self.pid}">')
        a(f'    <bpmndi:BPMNPlane id="plane_{self.pid}" bpmnElement="collab_{self.pid}">')
        height = len(self.lanes) * LANE_H
        a(f'      <bpmndi:BPMNShape id="pool_{self.pid}_di" bpmnElement="pool_{self.pid}" isHorizontal="true">')
        a(f'        <dc:Bounds x="{POOL_X}" y="60" width="{self.width()}" height="{height}"/>')
        a('      </bpmndi:BPMNShape>')
        for group, _label in self.lanes:
            a(f'      <bpmndi:BPMNShape id="lane_{group}_di" bpmnElement="lane_{group}" isHorizontal="true">')
            a(f'        <dc:Bounds x="{LANE_X}" y="{self.lane_top(group)}" width="{self.width() - 30}" height="{LANE_H}"/>')
            a('      </bpmndi:BPMNShape>')
        for n in self.nodes.values():
            x, y, w, h = self.bounds(n)
            marker = ' isMarkerVisible="true"' if n["kind"] == "xor" else ""
            a(f'      <bpmndi:BPMNShape id="{n["id"]}_di" bpmnElement="{n["id"]}"{marker}>')
            a(f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>')
            if n["kind"] not in ("user", "service"):
                a(f'        <bpmndi:BPMNLabel><dc:Bounds x="{x - 32}" y="{y + h + 4}" width="{w + 64}" height="27"/></bpmndi:BPMNLabel>')
            a('      </bpmndi:BPMNShape>')
        for f in self.flows:
            a(f'      <bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">')
            a("        " + "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in self.waypoints(f)))
            a('      </bpmndi:BPMNEdge>')
        a('    </bpmndi:BPMNPlane>')
        a('  </bpmndi:BPMNDiagram>')
        a('</bpmn:definitions>')
        return "\n".join(out) + "\n"

    def _node_xml(self, n):
        tag, _shape = TAGS[n["kind"]]
        attrs = f'id="{n["id"]}" name={quoteattr(n["name"])}'
        if n.get("default"):
            attrs += f' default="{n["default"]}"'
        if n["kind"] == "boundary":
            attrs += f' attachedToRef="{n["attached"]}"'
            if not n.get("interrupting", True):
                attrs += ' cancelActivity="false"'
        lines = [f"    <{tag} {attrs}>"]
        if n.get("doc"):
            lines.append(f"      <bpmn:documentation>{escape(n['doc'])}</bpmn:documentation>")
        ext = []
        props = n.get("props") or {}
        if props:
            ext.append("        <spiffworkflow:properties>")
            for k, v in props.items():
                ext.append(f'          <spiffworkflow:property name="{k}" value={quoteattr(str(v))}/>')
            ext.append("        </spiffworkflow:properties>")
        if n.get("instructions"):
            ext.append(f"        <spiffworkflow:instructionsForEndUser>{escape(n['instructions'])}</spiffworkflow:instructionsForEndUser>")
        if n["kind"] == "service":
            result = f' resultVariable="{n["result"]}"' if n.get("result") else ""
            ext.append(f'        <spiffworkflow:serviceTaskOperator id="{n["op"]}"{result}>')
            params = n.get("params") or {}
            ext.append("          <spiffworkflow:parameters>")
            for k, v in params.items():
                ext.append(f'            <spiffworkflow:parameter id="{k}" type="str" value={quoteattr(v)}/>')
            ext.append("          </spiffworkflow:parameters>")
            ext.append("        </spiffworkflow:serviceTaskOperator>")
        if ext:
            lines += ["      <bpmn:extensionElements>", *ext, "      </bpmn:extensionElements>"]
        for f in self.flows:
            if f["tgt"] == n["id"]:
                lines.append(f"      <bpmn:incoming>{f['id']}</bpmn:incoming>")
        for f in self.flows:
            if f["src"] == n["id"]:
                lines.append(f"      <bpmn:outgoing>{f['id']}</bpmn:outgoing>")
        if n.get("timer"):
            lines.append(f'      <bpmn:timerEventDefinition id="{n["id"]}_timer">')
            lines.append(f"        <bpmn:timeDate>{escape(n['timer'])}</bpmn:timeDate>")
            lines.append("      </bpmn:timerEventDefinition>")
        if n.get("message"):
            mid, var = n["message"]
            lines.append(f'      <bpmn:messageEventDefinition id="{n["id"]}_def" messageRef="{mid}">')
            lines.append("        <bpmn:extensionElements>")
            lines.append(f"          <spiffworkflow:messageVariable>{var}</spiffworkflow:messageVariable>")
            lines.append("        </bpmn:extensionElements>")
            lines.append("      </bpmn:messageEventDefinition>")
        lines.append(f"    </{tag}>")
        return lines


def user(form, due=None, org=False, distinct=None, body=None):
    props = {"formKey": form}
    if due is not None:
        props["dueWorkingDays"] = due
    if org:
        props["orgScope"] = "initiator"
    if distinct:
        props["distinctFrom"] = distinct
    if body:
        props["collegialBody"] = body
    return {"props": props}


# ------------------------------------------------------------------------------------------------------
def kcp_campaign():
    p = Process("kcp_campaign", "КЦП СПО: ежегодная кампания изменения контрольных цифр приёма", [
        ("dpo_officer", "Специалист ДепПО"), ("dpo_head", "Начальник ДепПО"),
        ("sector_officer", "Отраслевой департамент"), ("dtzn_officer", "ДТЗН"),
        ("finance_officer", "Департамент финансов"), ("ec_secretary", "Секретарь Экспертного совета"),
        ("cc_secretary", "Секретарь Координационного совета"), ("legal_officer", "Правовое управление"),
        ("deputy_governor", "Заместитель Губернатора"), ("records_office", "Управление делами"),
    ], doc="Дорожная карта, п. 6.3. Заявки колледжей — отдельные экземпляры процесса kcp_request.")
    o, h = "dpo_officer", "dpo_head"
    p.node("start", "start", "Кампания КЦП открыта", o, 0)
    p.node("announce", "user", "Объявить приём заявок", o, 1, **user("kcp_announce", 2))
    p.node("close_intake", "user", "Закрыть приём заявок", o, 2, **user("close_intake", 15))
    p.node("collect", "service", "Собрать принятые заявки колледжей", o, 3, op="collect_kcp_requests", result="kcp_requests")
    p.node("consolidate", "user", "Подготовить сводное предложение", o, 4, **user("kcp_consolidation", 10))
    p.node("consolidate_late", "boundary", "Сводное предложение просрочено", o, 4, attached="consolidate",
           interrupting=False, timer="working_days_from_now(10)")
    p.node("remind_consolidate", "service", "Напомнить начальнику ДепПО", h, 5, op="remind",
           params={"group": '"dpo_head"', "about": '"consolidate"'})
    p.node("end_reminded", "end", "Напоминание направлено", h, 6)
    p.node("split", "and", "Согласования", o, 5)
    p.node("opinion_sector", "user", "Заключение отраслевого департамента", "sector_officer", 6, **user("opinion_sector", 5))
    p.node("opinion_dtzn", "user", "Заключение ДТЗН", "dtzn_officer", 6, **user("opinion_dtzn", 5))
    p.node("gw_funding", "xor", "Растёт финансирование?", "finance_officer", 6)
    p.node("opinion_finance", "user", "Заключение Департамента финансов", "finance_officer", 7, **user("opinion_finance", 5))
    p.node("gw_funding_join", "xor", "", "finance_officer", 8)
    p.node("join", "and", "Заключения получены", o, 9)
    p.node("ec_decision", "user", "Решение Экспертного совета", "ec_secretary", 10,
           **user("kcp_ec_decision", 10, body="expert_council"))
    p.node("gw_ec", "xor", "Рекомендовано?", "ec_secretary", 11)
    p.node("notify_rejected", "service", "Уведомить колледжи об отказе", "ec_secretary", 12,
           op="deliver_kcp_decision", params={"outcome": '"rejected"'})
    p.node("end_rejected", "end", "КЦП не изменены", "ec_secretary", 13)
    p.node("cc_decision", "user", "Решение Координационного совета", "cc_secretary", 12,
           **user("kcp_cc_decision", 10, body="coordination_council"))
    p.node("gw_cc", "xor", "Согласовано?", "cc_secretary", 13)
    p.node("draft_order", "user", "Подготовить проект распоряжения", o, 14, **user("order_draft", 3))
    p.node("visa_head", "user", "Виза начальника ДепПО", h, 15, **user("order_visa", 2, distinct="draft_order"))
    p.node("gw_visa_head", "xor", "Виза?", h, 16)
    p.node("visa_legal", "user", "Правовая экспертиза проекта", "legal_officer", 17, **user("order_visa", 3))
    p.node("gw_visa_legal", "xor", "Виза?", "legal_officer", 18)
    p.node("gw_money", "xor", "Меняется финансирование?", "finance_officer", 19)
    p.node("visa_finance", "user", "Виза Департамента финансов", "finance_officer", 20, **user("order_visa", 3))
    p.node("gw_visa_finance", "xor", "Виза?", "finance_officer", 21)
    p.node("sign_order", "user", "Подписать распоряжение", "deputy_governor", 22, **user("order_sign", 3))
    p.node("gw_sign", "xor", "Подписано?", "deputy_governor", 23)
    p.node("register_order", "user", "Зарегистрировать распоряжение", "records_office", 24, **user("order_register", 1))
    p.node("publish", "service", "Опубликовать утверждённые КЦП", "records_office", 25, op="publish_kcp", result="publication")
    p.node("notify_approved", "service", "Направить решение колледжам", "records_office", 26,
           op="deliver_kcp_decision", params={"outcome": '"approved"'})
    p.node("end_approved", "end", "КЦП утверждены и опубликованы", "records_office", 27)
    f = p.flow
    f("start", "announce"); f("announce", "close_intake"); f("close_intake", "collect"); f("collect", "consolidate")
    f("consolidate", "split"); f("consolidate_late", "remind_consolidate"); f("remind_consolidate", "end_reminded")
    f("split", "opinion_sector"); f("split", "opinion_dtzn"); f("split", "gw_funding")
    f("gw_funding", "opinion_finance", "да", "funding_grows == True")
    f("gw_funding", "gw_funding_join", "нет", default=True)
    f("opinion_finance", "gw_funding_join"); f("gw_funding_join", "join")
    f("opinion_sector", "join"); f("opinion_dtzn", "join"); f("join", "ec_decision"); f("ec_decision", "gw_ec")
    f("gw_ec", "cc_decision", "рекомендовать", 'decision in ("recommend", "recommend_changed")')
    f("gw_ec", "consolidate", "вернуть", 'decision == "return"')
    f("gw_ec", "notify_rejected", "отклонить", 'decision == "reject"')
    f("notify_rejected", "end_rejected"); f("cc_decision", "gw_cc")
    f("gw_cc", "draft_order", "согласовать", 'decision == "agree"')
    f("gw_cc", "consolidate", "вернуть на доработку", 'decision == "return"')
    f("gw_cc", "notify_rejected", "не согласовать", 'decision == "reject"')
    f("draft_order", "visa_head"); f("visa_head", "gw_visa_head")
    f("gw_visa_head", "visa_legal", "завизировать", 'decision == "approve"')
    f("gw_visa_head", "draft_order", "вернуть", 'decision == "return"')
    f("visa_legal", "gw_visa_legal")
    f("gw_visa_legal", "gw_money", "завизировать", 'decision == "approve"')
    f("gw_visa_legal", "draft_order", "вернуть", 'decision == "return"')
    f("gw_money", "visa_finance", "да", "funding_grows == True")
    f("gw_money", "sign_order", "нет", default=True)
    f("visa_finance", "gw_visa_finance")
    f("gw_visa_finance", "sign_order", "завизировать", 'decision == "approve"')
    f("gw_visa_finance", "draft_order", "вернуть", 'decision == "return"')
    f("sign_order", "gw_sign")
    f("gw_sign", "register_order", "подписать", 'decision == "sign"')
    f("gw_sign", "draft_order", "вернуть", 'decision == "return"')
    f("register_order", "publish"); f("publish", "notify_approved"); f("notify_approved", "end_approved")
    return p


def kcp_request():
    p = Process("kcp_request", "КЦП СПО: заявка колледжа на изменение контрольных цифр приёма", [
        ("college_officer", "Ответственный сотрудник колледжа"), ("college_director", "Директор колледжа"),
        ("dpo_officer", "Специалист ДепПО"), ("dpo_head", "Начальник ДепПО"),
    ], doc="Заявка одного колледжа в рамках кампании КЦП своего года (родитель — kcp_campaign).")
    p.messages["msg_kcp_decision"] = "kcp_decision"
    c, d, o, h = "college_officer", "college_director", "dpo_officer", "dpo_head"
    p.node("start", "start", "Заявка начата", c, 0)
    p.node("fill_request", "user", "Заполнить заявку на изменение КЦП", c, 1, **user("kcp_request", 10, org=True))
    p.node("sign_request", "user", "Подписать и направить заявку", d, 2,
           **user("kcp_sign", 3, org=True, distinct="fill_request"))
    p.node("gw_sign", "xor", "Подписано?", d, 3)
    p.node("formal_check", "user", "Формальная проверка заявки", o, 4, **user("kcp_formal_check", 3))
    p.node("formal_check_late", "boundary", "Срок проверки истёк", o, 4, attached="formal_check",
           interrupting=False, timer="working_days_from_now(3)")
    p.node("remind_head", "service", "Напомнить начальнику ДепПО", h, 4, op="remind",
           params={"group": '"dpo_head"', "about": '"formal_check"'})
    p.node("end_reminded", "end", "Напоминание направлено", h, 5)
    p.node("gw_check", "xor", "Заявка принята?", o, 5)
    p.node("assess", "user", "Оценить заявку", o, 6, **user("kcp_assessment", 10))
    p.node("end_rejected", "end", "Заявка отклонена", h, 6)
    p.node("wait_decision", "catch", "Решение по КЦП", o, 7, message=("msg_kcp_decision", "kcp_decision"))
    p.node("gw_decision", "xor", "КЦП утверждены?", o, 8)
    p.node("confirm_site", "user", "Подтвердить обновление сведений на сайте", c, 9,
           **user("kcp_site_confirm", 5, org=True))
    p.node("end_approved", "end", "Сведения обновлены", c, 10)
    p.node("end_not_approved", "end", "Изменение не утверждено", o, 9)
    f = p.flow
    f("start", "fill_request"); f("fill_request", "sign_request"); f("sign_request", "gw_sign")
    f("gw_sign", "formal_check", "подписать", 'decision == "sign"')
    f("gw_sign", "fill_request", "вернуть исполнителю", 'decision == "return"')
    f("formal_check", "gw_check"); f("formal_check_late", "remind_head"); f("remind_head", "end_reminded")
    f("gw_check", "assess", "принять", 'decision == "accept"')
    f("gw_check", "fill_request", "вернуть на доработку", 'decision == "return"')
    f("gw_check", "end_rejected", "отклонить", 'decision == "reject"')
    f("assess", "wait_decision"); f("wait_decision", "gw_decision")
    f("gw_decision", "confirm_site", "утверждено", 'kcp_decision["decision"] == "approved"')
    f("gw_decision", "end_not_approved", "не утверждено", default=True)
    f("confirm_site", "end_approved")
    return p


def professions_cycle():
    p = Process("professions_cycle", "Актуальный перечень профессий: ежегодное формирование", [
        ("dtzn_officer", "Специалист ДТЗН"), ("sector_officer", "Отраслевые департаменты"),
        ("wg_secretary", "Секретарь Рабочей группы"),
    ], doc="Дорожная карта, пп. 6.5–6.6. Предложения — отдельные экземпляры процесса professions_proposal.")
    o = "dtzn_officer"
    p.node("start", "start", "Цикл формирования перечня начат", o, 0)
    p.node("announce", "user", "Направить запрос предложений", o, 1, **user("professions_announce", 2))
    p.node("close_intake", "user", "Закрыть приём предложений", o, 2, **user("close_intake", 20))
    p.node("collect", "service", "Собрать принятые предложения", o, 3, op="collect_profession_proposals", result="proposals")
    p.node("consolidate", "user", "Сформировать проект перечня", o, 4, **user("professions_consolidation", 10))
    p.node("agree", "user", "Согласовать проект перечня", "sector_officer", 5, **user("professions_agreement", 5))
    p.node("gw_agree", "xor", "Согласовано?", "sector_officer", 6)
    p.node("wg_decision", "user", "Решение Рабочей группы по перечню", "wg_secretary", 7,
           **user("professions_wg_decision", 15, body="working_group"))
    p.node("gw_wg", "xor", "Утверждено?", "wg_secretary", 8)
    p.node("publish", "service", "Опубликовать перечень", o, 9, op="publish_professions", result="publication")
    p.node("notify", "service", "Направить перечень заявителям и центрам занятости", o, 10,
           op="deliver_professions_decision", params={"outcome": '"approved"'})
    p.node("end_approved", "end", "Перечень утверждён и опубликован", o, 11)
    f = p.flow
    f("start", "announce"); f("announce", "close_intake"); f("close_intake", "collect"); f("collect", "consolidate")
    f("consolidate", "agree"); f("agree", "gw_agree")
    f("gw_agree", "wg_decision", "согласовать", 'decision == "agree"')
    f("gw_agree", "consolidate", "замечания", 'decision == "remarks"')
    f("wg_decision", "gw_wg")
    f("gw_wg", "publish", "утвердить", 'decision in ("approve", "approve_changed")')
    f("gw_wg", "consolidate", "вернуть в ДТЗН", 'decision == "return"')
    f("publish", "notify"); f("notify", "end_approved")
    return p


def professions_proposal():
    p = Process("professions_proposal", "Актуальный перечень профессий: предложения заявителя", [
        ("sector_officer", "Отраслевой департамент"), ("employment_centre", "Центр занятости населения"),
        ("dtzn_officer", "Специалист ДТЗН"),
    ], doc="Предложения отраслевого департамента или центра занятости к перечню своего года.")
    p.messages["msg_professions_decision"] = "professions_decision"
    s, e, o = "sector_officer", "employment_centre", "dtzn_officer"
    p.node("start", "start", "Предложения начаты", s, 0)
    p.node("gw_kind", "xor", "Кто вносит?", s, 1)
    p.node("draft_sector", "user", "Подготовить предложения в перечень", s, 2, **user("professions_proposal", 10, org=True))
    p.node("draft_centre", "user", "Подготовить предложения центра занятости", e, 2,
           **user("professions_proposal", 10, org=True))
    p.node("review", "user", "Рассмотреть предложения", o, 3, **user("proposal_review", 5))
    p.node("gw_review", "xor", "Принято?", o, 4)
    p.node("wait_decision", "catch", "Решение по перечню", o, 5,
           message=("msg_professions_decision", "professions_decision"))
    p.node("end", "end", "Решение получено", o, 6)
    f = p.flow
    f("start", "gw_kind")
    f("gw_kind", "draft_centre", "центр занятости", 'proposer_kind == "employment_centre"')
    f("gw_kind", "draft_sector", "отраслевой департамент", default=True)
    f("draft_sector", "review"); f("draft_centre", "review"); f("review", "gw_review")
    f("gw_review", "wait_decision", "принять", 'decision == "accept"')
    f("gw_review", "gw_kind", "вернуть для уточнения", 'decision == "return"')
    f("wait_decision", "end")
    return p


def investor_case():
    p = Process("investor_case", "Кадровое обеспечение инвестиционного проекта", [
        ("investor", "Инвестор"), ("di_officer", "Менеджер проекта ДИ"), ("di_head", "Начальник ДИ"),
        ("coordinator", "Координатор внедрения Стандарта"), ("dtzn_officer", "ДТЗН"), ("dpo_officer", "ДепПО"),
        ("sector_officer", "Отраслевой департамент"), ("wg_secretary", "Секретарь Рабочей группы"),
        ("cc_secretary", "Секретарь Координационного совета"),
    ], doc="Дорожная карта, пп. 2.2, 5.3, 10.3. Данные инвестора — коммерческая тайна: публикуются только сводные показатели.")
    i, co = "investor", "coordinator"
    p.node("start", "start", "Анкета начата", i, 0)
    p.node("questionnaire", "user", "Заполнить анкету потребности в кадрах", i, 1,
           **user("investor_questionnaire", 10, org=True))
    p.node("di_check", "user", "Проверить анкету", "di_officer", 2, **user("investor_check", 3))
    p.node("di_check_late", "boundary", "Срок проверки истёк", "di_officer", 2, attached="di_check",
           interrupting=False, timer="working_days_from_now(3)")
    p.node("remind_di_head", "service", "Напомнить начальнику ДИ", "di_head", 3, op="remind",
           params={"group": '"di_head"', "about": '"di_check"'})
    p.node("end_reminded", "end", "Напоминание направлено", "di_head", 4)
    p.node("gw_check", "xor", "Анкета принята?", "di_officer", 3)
    p.node("end_declined", "end", "Анкета отклонена", "di_officer", 4)
    p.node("open_case", "user", "Открыть кадровое дело", co, 4, **user("case_open", 2))
    p.node("split", "and", "Заключения", co, 5)
    p.node("opinion_dtzn", "user", "Заключение ДТЗН о рынке труда", "dtzn_officer", 6, **user("opinion_dtzn", 10))
    p.node("opinion_dpo", "user", "Заключение ДепПО о подготовке кадров", "dpo_officer", 6, **user("opinion_dpo", 10))
    p.node("opinion_sector", "user", "Заключение отраслевого департамента", "sector_officer", 6, **user("opinion_sector", 10))
    p.node("join", "and", "Заключения получены", co, 7)
    p.node("plan", "user", "Подготовить кадровый план", co, 8, **user("staffing_plan", 10))
    p.node("plan_review", "user", "Рассмотреть кадровый план", i, 9, **user("plan_review", 10, org=True))
    p.node("plan_review_stalled", "boundary", "Инвестор не ответил", i, 9, attached="plan_review",
           timer="working_days_from_now(10)")
    p.node("stalled", "user", "Дело приостановилось: принять меры", co, 10, **user("stalled_case", 3))
    p.node("gw_stalled", "xor", "Продолжить?", co, 11)
    p.node("end_closed", "end", "Дело закрыто", co, 12)
    p.node("gw_review", "xor", "План согласован?", i, 10)
    p.node("wg_decision", "user", "Решение Рабочей группы по кадровому плану", "wg_secretary", 11,
           **user("investor_wg_decision", 15, body="working_group"))
    p.node("gw_wg", "xor", "Решение?", "wg_secretary", 12)
    p.node("end_rejected", "end", "План не одобрен", "wg_secretary", 13)
    p.node("cc_decision", "user", "Решение Координационного совета по кадровому плану", "cc_secretary", 13,
           **user("investor_cc_decision", 15, body="coordination_council"))
    p.node("gw_cc", "xor", "Решение?", "cc_secretary", 14)
    p.node("end_cc_rejected", "end", "План не одобрен", "cc_secretary", 15)
    p.node("publish", "service", "Обновить сводные показатели", co, 15, op="publish_investment", result="publication")
    p.node("followups", "service", "Запустить заявки КЦП и предложения в перечень", co, 16,
           op="start_followups", result="followups")
    p.node("end_approved", "end", "Кадровый план одобрен", co, 17)
    f = p.flow
    f("start", "questionnaire"); f("questionnaire", "di_check"); f("di_check", "gw_check")
    f("di_check_late", "remind_di_head"); f("remind_di_head", "end_reminded")
    f("gw_check", "open_case", "принять", 'decision == "accept"')
    f("gw_check", "questionnaire", "вернуть инвестору", 'decision == "return"')
    f("gw_check", "end_declined", "отклонить", 'decision == "decline"')
    f("open_case", "split"); f("split", "opinion_dtzn"); f("split", "opinion_dpo"); f("split", "opinion_sector")
    f("opinion_dtzn", "join"); f("opinion_dpo", "join"); f("opinion_sector", "join"); f("join", "plan")
    f("plan", "plan_review"); f("plan_review", "gw_review")
    f("gw_review", "wg_decision", "согласовать", 'decision == "agree"')
    f("gw_review", "plan", "нужны изменения", 'decision == "request_changes"')
    f("plan_review_stalled", "stalled"); f("stalled", "gw_stalled")
    f("gw_stalled", "plan_review", "продолжить с инвестором", 'decision == "resume"')
    f("gw_stalled", "end_closed", "закрыть дело", 'decision == "close"')
    f("wg_decision", "gw_wg")
    f("gw_wg", "publish", "одобрить", 'decision == "approve"')
    f("gw_wg", "plan", "вернуть", 'decision == "return"')
    f("gw_wg", "end_rejected", "отклонить", 'decision == "reject"')
    f("gw_wg", "cc_decision", "в Координационный совет", 'decision == "refer_cc"')
    f("cc_decision", "gw_cc")
    f("gw_cc", "publish", "одобрить", 'decision == "approve"')
    f("gw_cc", "plan", "вернуть", 'decision == "return"')
    f("gw_cc", "end_cc_rejected", "отклонить", 'decision == "reject"')
    f("publish", "followups"); f("followups", "end_approved")
    return p


if __name__ == "__main__":
    for build in (kcp_campaign, kcp_request, professions_cycle, professions_proposal, investor_case):
        proc = build()
        (ROOT / "bpmn" / f"{proc.pid}.bpmn").write_text(proc.xml(), encoding="utf-8")
        print("wrote", proc.pid)
