"""Fingerprinted static files (app/core/assets.py): names, imports, minifying, the build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.assets import Assets, assets_for, minifiable

STATIC = Path(__file__).resolve().parent.parent.parent / "static"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_every_script_of_the_site_can_be_minified():
    """A nested template literal would be served unminified (and the page over its budget)."""
    for path in sorted((STATIC / "js").glob("*.js")):
        assert minifiable(path.name, path.read_text(encoding="utf-8")), path.name


def test_a_nested_template_literal_is_not_minified(tmp_path):
    source = "export const f = (n) => `a ${n ? `${n} b` : `c`}`;\n"
    assert not minifiable("a.js", source)
    assert minifiable("a.js", "export const f = (n) => `a ${n} b`;\n")
    assets = Assets(_folder(tmp_path, {"js/a.js": source}))
    assert assets.by_name["js/a.js"].body.decode() == source


def test_names_carry_the_hash_of_the_bytes_served(tmp_path):
    folder = _folder(
        tmp_path,
        {"css/site.css": "/* a comment */\nbody {\n  color: red;\n}\n", ".hidden": "x"},
    )
    asset = Assets(folder).by_name["css/site.css"]
    assert asset.body == b"body{color:red}"
    stem, digest, extension = asset.url_name.split(".")
    assert (stem, extension, len(digest)) == ("css/site", "css", 10)
    assert ".hidden" not in Assets(folder).by_name


def test_imports_are_fingerprinted_and_an_import_changes_its_importer(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "js/base.js": "export const x = 1;\n",
            "js/page.js": 'import { x } from "./base.js";\nconsole.log(x);\n',
            "js/lazy.js": 'const m = import("./base.js");\n',
        },
    )
    first = Assets(folder)
    base = first.by_name["js/base.js"].url_name.removeprefix("js/")
    assert f'from"./{base}"' in first.by_name["js/page.js"].body.decode()
    assert f'import("./{base}")' in first.by_name["js/lazy.js"].body.decode()
    (folder / "js/base.js").write_text("export const x = 2;\n", encoding="utf-8")
    second = Assets(folder)
    assert second.by_name["js/page.js"].url_name != first.by_name["js/page.js"].url_name
    assert second.build != first.build


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"js/a.js": 'import "./b.js";\n', "js/b.js": 'import "./a.js";\n'},
            "in a circle",
        ),
        ({"js/a.js": 'import { y } from "./missing.js";\n'}, "does not exist"),
    ],
)
def test_a_circle_or_a_missing_module_is_refused_at_start_up(tmp_path, files, message):
    with pytest.raises(RuntimeError, match=message):
        Assets(_folder(tmp_path, files))


def test_the_build_is_made_once_and_again_when_a_file_changes(tmp_path):
    folder = _folder(tmp_path, {"css/a.css": "a { color: red; }\n"})
    built = assets_for(folder)
    assert assets_for(folder) is built
    path = folder / "css/a.css"
    path.write_text("a { color: blue; }\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    rebuilt = assets_for(folder)
    assert rebuilt is not built
    assert rebuilt.by_name["css/a.css"].body == b"a{color:blue}"


def test_compressed_forms_are_made_once(tmp_path):
    asset = Assets(_folder(tmp_path, {"css/a.css": "a { color: red; }\n" * 50})).by_name[
        "css/a.css"
    ]
    assert asset.encoded(None) is asset.body
    assert asset.encoded("br") is asset.encoded("br")
    assert asset.encoded("gzip") is asset.encoded("gzip")


@pytest.mark.parametrize("reload", [False, True])
def test_an_edited_file_is_renamed_at_the_next_request_only_with_static_reload(tmp_path, reload):
    from flask import Flask, url_for

    from app.core import assets

    folder = _folder(tmp_path / "static", {"css/a.css": "a { color: red; }\n"})
    app = Flask(__name__, static_folder=str(folder))
    app.config["STATIC_RELOAD"] = reload

    @app.get("/")
    def index():
        return url_for("static", filename="css/a.css")

    assets.init_app(app)
    client = app.test_client()
    before = client.get("/").get_data(as_text=True)
    assert client.get(before).get_data() == b"a{color:red}"
    path = folder / "css/a.css"
    path.write_text("a { color: blue; }\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    after = client.get("/").get_data(as_text=True)
    assert (after != before) is reload
    assert client.get(after).get_data() == (b"a{color:blue}" if reload else b"a{color:red}")
