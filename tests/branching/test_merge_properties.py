"""Property tests of the pure three-way merge: random edit sequences on main (ours) and on a branch (theirs)
from one base plan."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tripl_core.analysis import merge

TYPES = ["t1", "t2"]
FIELDS = {"f1": "t1", "f2": "t1", "f3": "t2"}
EVENTS = {"e1": "t1", "e2": "t1", "e3": "t2", "e4": "t2"}
VARIABLES = ["v1", "v2", "v3"]
PHOTOS = {"p1": "e1", "p2": "e1", "p3": "e3"}


def base_plan() -> merge.MutableSnapshot:
    plan: merge.MutableSnapshot = {t: {} for t in merge.ENTITY_TYPES}
    for key in TYPES:
        plan["event_type"][key] = {"name": f"type_{key}", "description": "", "color": "#6366f1", "owners": []}
    for key, parent in FIELDS.items():
        plan["field"][key] = {"name": f"field_{key}", "event_type": parent, "description": ""}
    for key, parent in EVENTS.items():
        record: dict[str, Any] = {"name": f"event_{key}", "event_type": parent, "description": "",
                                  "status": "draft", "tags": []}
        for field_key, field_parent in FIELDS.items():
            if field_parent == parent:
                record[f"values.{field_key}"] = "${v1}"
        plan["event"][key] = record
    for key in VARIABLES:
        plan["variable"][key] = {"name": f"var_{key}", "description": "", "variable_type": "string"}
    for position, (key, event) in enumerate(PHOTOS.items()):
        plan["photo"][key] = {"event": event, "kind": "photo", "original_filename": f"{key}.png",
                              "storage_key": f"k/{key}.png", "sort_order": position}
    return plan


# An edit: (operation, entity type, index of an existing key, choice of value).
EDITABLE = {"event_type": ["description", "color"], "field": ["description"],
            "event": ["description", "status", "tags", "name", "values.f1", "values.f2", "values.f3"],
            "variable": ["description", "variable_type", "name"], "photo": ["sort_order", "original_filename"]}
VALUES = {"description": ["a", "b"], "color": ["#000000", "#ffffff"], "status": ["live", "deprecated"],
          "tags": [["x"], ["x", "y"]], "variable_type": ["number", "json"], "sort_order": [5, 6],
          "original_filename": ["a.png", "b.png"]}
edit = st.tuples(st.sampled_from(["set", "set", "set", "clear_value", "delete", "add"]),
                 st.sampled_from(sorted(EDITABLE)), st.integers(0, 10), st.integers(0, 10))


def apply_edits(plan: merge.MutableSnapshot, side: str, edits: list[tuple[str, str, int, int]]
                ) -> merge.MutableSnapshot:
    out = merge.copy_snapshot(plan)
    for number, (operation, entity_type, index, choice) in enumerate(edits):
        records = out[entity_type]
        keys = sorted(records)
        if operation == "add":
            if entity_type == "event":
                parent = TYPES[choice % len(TYPES)]
                out["event"][f"{side}_new{number}"] = {"name": f"{side}_new{number}", "event_type": parent,
                                                       "description": "", "status": "draft", "tags": []}
            elif entity_type == "variable":
                out["variable"][f"{side}_new{number}"] = {"name": f"{side}_var{number}", "description": "",
                                                          "variable_type": "string"}
            elif entity_type == "photo" and out["event"]:
                event = sorted(out["event"])[choice % len(out["event"])]
                out["photo"][f"{side}_new{number}"] = {"event": event, "kind": "photo", "sort_order": 9,
                                                       "original_filename": f"{side}{number}.png",
                                                       "storage_key": f"k/{side}{number}.png"}
            continue
        if not keys:
            continue
        key = keys[index % len(keys)]
        if operation == "delete" and entity_type in ("event", "variable", "field", "photo"):
            del records[key]
            merge.drop_orphans(out)
            continue
        attribute = EDITABLE[entity_type][choice % len(EDITABLE[entity_type])]
        record = records[key]
        if attribute.startswith("values."):
            field_key = attribute.removeprefix("values.")
            if field_key not in out["field"] or out["field"][field_key]["event_type"] != record["event_type"]:
                continue
            if operation == "clear_value":
                record.pop(attribute, None)
            else:
                record[attribute] = ["${v2}", "literal"][choice % 2]
        elif attribute == "name":  # two renames of one entity may agree; names never collide across entities
            record["name"] = f"renamed_{key}_{choice % 2}"
        elif operation != "clear_value":
            record[attribute] = VALUES[attribute][choice % 2]
    return out


def expected_conflicts(base: merge.Snapshot, ours: merge.Snapshot, theirs: merge.Snapshot) -> set[tuple[str, ...]]:
    """The rule as stated: both sides touched one attribute differently, or one deleted what the other changed
    (a field counts as changed when a value of it changed; a value lost with its field is no edit)."""
    found: set[tuple[str, ...]] = set()

    def values_edited(side: merge.Snapshot, field_key: str) -> bool:
        attribute = f"values.{field_key}"
        return any(side["event"].get(k, {}).get(attribute) != r.get(attribute) and k in side["event"]
                   for k, r in base["event"].items()) or \
            any(attribute in r for k, r in side["event"].items() if k not in base["event"])

    def photos_edited(side: merge.Snapshot, event_key: str) -> bool:
        """Work under an event: a photo of it added or changed on `side`."""
        return any(r["event"] == event_key and base["photo"].get(k) != r for k, r in side["photo"].items())

    for entity_type in merge.ENTITY_TYPES:
        for key, b in base.get(entity_type, {}).items():
            o, t = ours.get(entity_type, {}).get(key), theirs.get(entity_type, {}).get(key)
            if entity_type == "photo":  # a photo lost with its event was not deleted on its own
                o = b if o is None and b["event"] not in ours["event"] else o
                t = b if t is None and b["event"] not in theirs["event"] else t
            if o is None and t is None:
                continue
            if o is None or t is None:
                survivor, side = (o, ours) if o is not None else (t, theirs)
                if survivor != b or (entity_type == "field" and values_edited(side, key)) \
                        or (entity_type == "event" and photos_edited(side, key)):
                    found.add((entity_type, key, merge.WHOLE_ENTITY))
                continue
            for attribute in b.keys() | o.keys() | t.keys():
                bv, ov, tv = b.get(attribute), o.get(attribute), t.get(attribute)
                if attribute.startswith("values."):
                    field_key = attribute.removeprefix("values.")
                    ov = bv if field_key not in ours["field"] else ov
                    tv = bv if field_key not in theirs["field"] else tv
                if ov != bv and tv != bv and ov != tv:
                    found.add((entity_type, key, attribute))
    return found


edits = st.lists(edit, max_size=12)


@settings(max_examples=300, deadline=None)
@given(ours_edits=edits, theirs_edits=edits)
def test_conflicts_are_exactly_the_attributes_both_sides_changed_differently(ours_edits: list[Any],
                                                                              theirs_edits: list[Any]) -> None:
    base = base_plan()
    ours, theirs = apply_edits(base, "m", ours_edits), apply_edits(base, "b", theirs_edits)
    result = merge.three_way(base, ours, theirs)
    assert {(c.entity_type, c.key, c.attribute) for c in result.conflicts} == expected_conflicts(base, ours, theirs)


@settings(max_examples=300, deadline=None)
@given(ours_edits=edits, theirs_edits=edits)
def test_without_conflicts_the_merge_applies_both_change_sets_in_either_order(ours_edits: list[Any],
                                                                             theirs_edits: list[Any]) -> None:
    base = base_plan()
    ours, theirs = apply_edits(base, "m", ours_edits), apply_edits(base, "b", theirs_edits)
    result = merge.three_way(base, ours, theirs)
    if result.conflicts:
        return
    assert result.merged == merge.apply_changes(ours, merge.diff(base, theirs))
    assert result.merged == merge.apply_changes(theirs, merge.diff(base, ours))


def _resolve_all(base: merge.Snapshot, ours: merge.Snapshot, theirs: merge.Snapshot, choice: str
                 ) -> merge.MergeResult:
    first = merge.three_way(base, ours, theirs)
    chosen = {(c.entity_type, c.key, c.attribute): merge.Resolution(choice, ours=c.ours, theirs=c.theirs)
              for c in first.conflicts}
    return merge.three_way(base, ours, theirs, chosen)


@settings(max_examples=300, deadline=None)
@given(ours_edits=edits, theirs_edits=edits)
def test_resolving_with_theirs_takes_the_branch_and_with_ours_takes_main(ours_edits: list[Any],
                                                                         theirs_edits: list[Any]) -> None:
    base = base_plan()
    ours, theirs = apply_edits(base, "m", ours_edits), apply_edits(base, "b", theirs_edits)
    for choice, side in (("theirs", theirs), ("ours", ours)):
        result = _resolve_all(base, ours, theirs, choice)
        assert result.unresolved == []
        for conflict in result.conflicts:
            merged = result.merged[conflict.entity_type].get(conflict.key)
            wanted = side[conflict.entity_type].get(conflict.key)
            if conflict.attribute == merge.WHOLE_ENTITY:  # less values of fields the other side deleted
                assert merged == (None if wanted is None else
                                  {a: v for a, v in wanted.items()
                                   if not a.startswith("values.") or a[7:] in result.merged["field"]})
            else:
                assert merged is not None
                assert wanted is not None
                assert merged.get(conflict.attribute) == wanted.get(conflict.attribute)


def test_a_resolution_goes_stale_when_a_side_changes_the_attribute_again() -> None:
    base = base_plan()
    ours = apply_edits(base, "m", [("set", "event", 0, 0)])  # e1 description "a"
    theirs = apply_edits(base, "b", [("set", "event", 0, 1)])  # e1 status "deprecated"... and description:
    theirs["event"]["e1"]["description"] = "b"
    conflict = merge.three_way(base, ours, theirs).conflicts[0]
    chosen = {(conflict.entity_type, conflict.key, conflict.attribute):
              merge.Resolution("theirs", ours=conflict.ours, theirs=conflict.theirs)}
    assert merge.three_way(base, ours, theirs, chosen).unresolved == []
    theirs["event"]["e1"]["description"] = "c"
    again = merge.three_way(base, ours, theirs, chosen)
    assert len(again.unresolved) == 1
    assert again.conflicts[0].stale_resolution is not None
    ours["event"]["e1"]["description"] = "c"  # both sides agree now: no conflict at all
    assert merge.three_way(base, ours, theirs, chosen).conflicts == []


def test_the_same_new_name_on_both_sides_conflicts_and_either_side_can_win() -> None:
    base = base_plan()
    ours, theirs = merge.copy_snapshot(base), merge.copy_snapshot(base)
    ours["event"]["main_new"] = {"name": "signup", "event_type": "t1", "description": "main's"}
    theirs["event"]["branch_new"] = {"name": "signup", "event_type": "t1", "description": "branch's"}
    result = merge.three_way(base, ours, theirs)
    [conflict] = result.conflicts
    assert (conflict.key, conflict.attribute, conflict.kind, conflict.holder) == \
        ("branch_new", "name", merge.ConflictKind.name_taken, "main_new")
    key = (conflict.entity_type, conflict.key, conflict.attribute)
    theirs_wins = merge.three_way(base, ours, theirs, {key: merge.Resolution("theirs", None, "signup")})
    assert "main_new" not in theirs_wins.merged["event"]
    assert "branch_new" in theirs_wins.merged["event"]
    ours_wins = merge.three_way(base, ours, theirs, {key: merge.Resolution("ours", None, "signup")})
    assert "main_new" in ours_wins.merged["event"]
    assert "branch_new" not in ours_wins.merged["event"]
    renamed = merge.three_way(base, ours, theirs, {key: merge.Resolution("custom", None, "signup", "sign_up")})
    assert renamed.unresolved == []
    assert renamed.merged["event"]["branch_new"]["name"] == "sign_up"


def test_branch_work_under_a_type_main_deleted_conflicts_on_the_type() -> None:
    base = base_plan()
    ours = merge.copy_snapshot(base)
    del ours["event_type"]["t2"]
    merge.drop_orphans(ours)
    theirs = merge.copy_snapshot(base)
    theirs["event"]["b_new"] = {"name": "b_new", "event_type": "t2", "description": ""}
    result = merge.three_way(base, ours, theirs)
    [conflict] = result.conflicts
    assert (conflict.entity_type, conflict.key, conflict.kind) == ("event_type", "t2", merge.ConflictKind.delete_edit)
    assert "b_new" not in result.merged["event"]
    key = (conflict.entity_type, conflict.key, conflict.attribute)
    restored = merge.three_way(base, ours, theirs, {key: merge.Resolution("theirs", None, conflict.theirs)})
    assert restored.merged["event"]["b_new"] == theirs["event"]["b_new"]
    assert {k for k, r in restored.merged["event"].items() if r["event_type"] == "t2"} == {"e3", "e4", "b_new"}
    untouched = merge.three_way(base, ours, merge.copy_snapshot(base))
    assert untouched.conflicts == []
    assert "t2" not in untouched.merged["event_type"]
