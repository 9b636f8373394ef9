"""A paper's public discussion as W3C Web Annotations (JSON-LD).

The export is checked against the W3C Web Annotation Data Model's own JSON Schemas (the
web-platform-tests suite, copied under tests/data/w3c-annotation-model with its
licence): every annotation meets each "must" assertion of the suite, and the collection
carries the context and types the model's collection definitions recognise. Then the
stories: quotes and offsets come back as stored; nothing pending, hidden, rejected,
deleted or written by a restricted account goes out; replies target their parent;
suggestions carry their wording; threads of every version target their own version;
and the answer is streamed, read a batch of rows per query.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from app.annotations import queries, services
from app.models import AnnotationKind, AnnotationStatus, PaperVersion, Section
from app.models.annotation import Annotation, TargetType
from app.models.base import utcnow

URL = "/api/v1/papers/think-paper-1/annotations.jsonld"
KEY = "public-sector-idiosyncrasies"
SITE = "http://localhost"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
MODEL = Path(__file__).resolve().parents[1] / "data" / "w3c-annotation-model" / "annotation-model"


def _registry() -> Registry:
    """The suite's definitions, by the `$id` their `$ref`s name (`annotations.json`...)."""
    resources = []
    for path in sorted((MODEL / "definitions").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name, Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _must_assertions() -> list[tuple[str, Draft4Validator]]:
    """Every assertion of the suite that an annotation must meet."""
    checks = []
    for path in sorted((MODEL / "annotations").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.get("assertionType") == "must" and schema.get("expectedResult") == "valid":
            checks.append((path.name, Draft4Validator(schema, registry=REGISTRY)))
    return checks


MUST = _must_assertions()


def _definition(file: str, name: str) -> Draft4Validator:
    return Draft4Validator({"$ref": f"{file}#/definitions/{name}"}, registry=REGISTRY)


def export(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def items_of(document: dict) -> dict[str, dict]:
    return {item["id"]: item for item in document["first"]["items"]}


def link(annotation: Annotation) -> str:
    return f"{SITE}/annotations/{annotation.id}"


def section_text(db, version_id: int, key: str = KEY) -> str:
    return db.session.scalar(
        select(Section.text).where(Section.version_id == version_id, Section.key == key)
    )


@pytest.fixture
def text(db, paper):
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    return section_text(db, version.id)


def set_status(db, annotation: Annotation, status: AnnotationStatus) -> None:
    annotation.status = status
    db.session.commit()


def test_every_annotation_meets_the_w3c_model_and_the_collection_is_recognised(
    client, create_annotation, create_user, text
):
    assert len(MUST) >= 10  # the suite was found
    words = text.split()
    passage = " ".join(words[3:7])
    writer = create_user(name="Wanda Writer", email="wanda@example.org")
    comment = create_annotation("A **whole-section** remark.", author=writer)
    create_annotation("Is this so?", kind=AnnotationKind.QUESTION, quote=passage)
    create_annotation(
        "Say it plainly.", kind=AnnotationKind.SUGGESTION, quote=passage, proposed_text="Plainly."
    )
    create_annotation("Not convinced.", kind=AnnotationKind.OBJECTION, quote=passage)
    create_annotation("Agreed.", parent=comment)

    response = client.get(URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MEDIA_TYPE
    document = json.loads(response.get_data(as_text=True))

    assert document["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert document["id"] == SITE + URL
    assert document["type"] == "AnnotationCollection"
    assert "Think Paper" in document["label"]
    assert document["total"] == 5 == len(document["first"]["items"])
    page = document["first"]
    _definition("collections.json", "contextValueFound").validate(document["@context"])
    _definition("collections.json", "annotationCollectionTypeValueRecognized").validate(
        document["type"]
    )
    _definition("collections.json", "annotationPageTypeValueRecognized").validate(page["type"])
    assert page["partOf"] == document["id"] and page["startIndex"] == 0

    for item in page["items"]:
        # An annotation embedded in a page takes the collection's context; alone, it
        # names it.
        alone = {"@context": document["@context"], **item}
        for name, validator in MUST:
            errors = [e.message for e in validator.iter_errors(alone)]
            assert not errors, (name, item["id"], errors)
    motivations = sorted(item["motivation"] for item in page["items"])
    assert motivations == ["assessing", "commenting", "editing", "questioning", "replying"]
    first = items_of(document)[link(comment)]
    assert first["creator"] == {"type": "Person", "name": "Wanda Writer"}
    assert "wanda@example.org" not in json.dumps(document)
    assert first["body"][0]["value"] == "A **whole-section** remark."
    assert first["body"][0]["format"] == "text/markdown"
    assert first["target"] == {
        "type": "SpecificResource",
        "source": f"{SITE}/papers/think-paper-1/v/5.0/#{KEY}",
    }  # a whole section: no selector
    assert first["created"].endswith("Z")


def test_quotes_and_offsets_come_back_as_stored(client, create_annotation, text, db):
    words = text.split()
    passage = create_annotation("On these words.", quote=" ".join(words[10:14]))
    first_paragraph = text.split("\n")[0].strip()
    paragraph = create_annotation(
        "On the paragraph.", quote=first_paragraph, target=TargetType.PARAGRAPH
    )
    later = create_annotation("Later on.", quote=" ".join(words[-5:-2]))

    exported = items_of(export(client))
    for thread in (passage, paragraph, later):
        target = exported[link(thread)]["target"]
        assert target["source"] == f"{SITE}/papers/think-paper-1/v/5.0/#{KEY}"
        quote, position = target["selector"]
        assert quote == {
            "type": "TextQuoteSelector",
            "exact": thread.quote_exact,
            "prefix": thread.quote_prefix,
            "suffix": thread.quote_suffix,
        }
        assert position == {
            "type": "TextPositionSelector",
            "start": thread.quote_start,
            "end": thread.quote_end,
        }
        # Offsets in code points of the section's text, as CONTRACT.md counts them.
        assert text[position["start"] : position["end"]] == quote["exact"]
        before = text[: position["start"]]
        assert before.endswith(quote["prefix"])
        assert text[position["end"] :].startswith(quote["suffix"])


def test_nothing_but_published_words_of_unrestricted_accounts_goes_out(
    client, create_annotation, create_user, db
):
    shown = create_annotation("Public words.")
    kept_reply = create_annotation("A reply that stays.", parent=shown)
    hidden_words = {}
    for status in (
        AnnotationStatus.PENDING,
        AnnotationStatus.HIDDEN,
        AnnotationStatus.REJECTED,
        AnnotationStatus.DELETED,
    ):
        thread = create_annotation(f"Words that were {status.value}.")
        create_annotation("A reply keeps the placeholder.", parent=thread)
        set_status(db, thread, status)
        hidden_words[link(thread)] = thread.body
        reply = create_annotation(f"A reply that was {status.value}.", parent=shown)
        set_status(db, reply, status)
        hidden_words[link(reply)] = reply.body
    restricted = create_user(name="Rex Restricted")
    muted = create_annotation("Words of a restricted account.", author=restricted)
    muted_reply = create_annotation("A restricted reply.", parent=shown, author=restricted)
    hidden_words[link(muted)] = muted.body
    hidden_words[link(muted_reply)] = muted_reply.body
    restricted.restricted_at = utcnow()
    db.session.commit()

    raw = client.get(URL).get_data(as_text=True)
    document = json.loads(raw)
    exported = items_of(document)
    for address, words in hidden_words.items():
        assert address not in exported
        assert words not in raw
    assert "Rex Restricted" not in raw
    assert link(shown) in exported and link(kept_reply) in exported
    assert document["total"] == len(exported)


def test_replies_target_their_parent_and_suggestions_carry_their_wording(
    client, create_annotation, text
):
    words = text.split()
    quote = " ".join(words[20:23])
    suggestion = create_annotation(
        "Shorter, please.", kind=AnnotationKind.SUGGESTION, quote=quote, proposed_text="Briefly."
    )
    reply = create_annotation("Why shorter?", parent=suggestion)
    answer = create_annotation("Because.", parent=reply)

    exported = items_of(export(client))
    proposed = exported[link(suggestion)]
    assert proposed["motivation"] == "editing"
    comment, wording = proposed["body"]
    assert comment["value"] == "Shorter, please."
    assert wording == {
        "type": "TextualBody",
        "value": "Briefly.",
        "format": "text/plain",
        "purpose": "editing",
    }
    assert proposed["target"]["selector"][0]["exact"] == quote
    for child, parent in ((reply, suggestion), (answer, reply)):
        item = exported[link(child)]
        assert item["motivation"] == "replying"
        assert item["target"] == link(parent)
        assert item["target"] in exported
        assert len(item["body"]) == 1


def test_threads_of_every_version_target_their_own_version(
    client, create_annotation, import_paper, paper, create_user, db
):
    from tests.web.test_carried_threads import SOURCE, next_version

    old = create_annotation("Made on 5.0.")
    import_paper(next_version(SOURCE.read_text(encoding="utf-8")))
    new_version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    section = db.session.scalar(
        select(Section).where(Section.version_id == new_version.id, Section.key == KEY)
    )
    new = services.create_thread(create_user(), paper, new_version, section, "Made on 5.1.")
    db.session.commit()

    exported = items_of(export(client))
    assert exported[link(old)]["target"]["source"].endswith(f"/v/5.0/#{KEY}")
    assert exported[link(new)]["target"]["source"].endswith(f"/v/5.1/#{KEY}")


def test_an_unknown_paper_is_a_json_404(client, paper):
    response = client.get("/api/v1/papers/no-such-paper/annotations.jsonld")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["code"]


def test_the_answer_is_streamed_and_read_a_batch_at_a_time(
    client, create_annotation, count_queries, monkeypatch
):
    monkeypatch.setattr(queries, "EXPORT_BATCH", 5)

    def queries_for_export() -> tuple[int, int]:
        with count_queries() as counter:
            response = client.get(URL)
            assert response.is_streamed
            document = json.loads(response.get_data(as_text=True))
        return counter.count, len(document["first"]["items"])

    for n in range(3):
        create_annotation(f"Thread {n}.")
    few, items = queries_for_export()
    assert items == 3
    for n in range(3, 23):
        create_annotation(f"Thread {n}.")
    many, items = queries_for_export()
    assert items == 23
    # 23 rows in batches of five: four more queries than three rows in one batch.
    assert many - few == 4


def test_a_reply_to_what_nobody_else_sees_stays_out(client, create_annotation, create_user, db):
    restricted = create_user(name="Rex Restricted")
    muted = create_annotation("Words of an account restricted later.", author=restricted)
    answer = create_annotation("An answer to them.", parent=muted)
    gone = create_annotation("Deleted, answered.")
    kept = create_annotation("An answer to a deleted comment.", parent=gone)
    set_status(db, gone, AnnotationStatus.DELETED)
    restricted.restricted_at = utcnow()
    db.session.commit()

    document = export(client)
    exported = items_of(document)
    assert link(answer) not in exported and link(muted) not in exported
    # A deleted comment leaves a placeholder at its permalink, which its reply targets.
    assert exported[link(kept)]["target"] == link(gone)
    assert document["total"] == 1
