"""The protocol of a meeting as a document (DOCX, PDF): the draft while it is prepared, the fixed files once signed."""

from .. import council, documents
from ..people.actors import Actor
from . import content, render


def meeting_documents(actor: Actor, meeting_id: int) -> documents.DocEntry:
    """The protocol entry of a meeting the actor may read."""
    meeting = council.get_meeting(actor, meeting_id)
    p = meeting.protocol
    fixed = documents.fixed_files(protocol_id=p.id) if p is not None and p.status == "signed" else {}
    files = []
    for fmt in documents.FORMATS:
        f = fixed.get(("protocol", fmt))
        files.append(documents.DocFile(fmt, f is not None, f.sha256 if f else None, f.size if f else None))
    number = str(p.number) if p is not None and p.status == "signed" else ""
    return documents.DocEntry("protocol", "Протокол", number, "", not number, files)


def meeting_file(actor: Actor, meeting_id: int, fmt: str) -> tuple[bytes, str, str]:
    """The protocol file: the fixed bytes once signed, else the draft rendered now."""
    documents.check_format(fmt)
    meeting = council.get_meeting(actor, meeting_id)
    view = council.protocol_view(meeting)
    p = meeting.protocol
    if p is not None and p.status == "signed":
        stored = documents.fixed_files(protocol_id=p.id).get(("protocol", fmt))
        if stored is not None:
            return stored.content, documents.mime(fmt), stored.file_name
    with documents.russian():
        doc = content.protocol(view, documents.protocol_stem(view))
    return render.render(doc, fmt)
