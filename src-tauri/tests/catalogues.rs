//! The window's message catalogues (ui/i18n/*.json) against each other and against the page and
//! the scripts that use them: a key in one catalogue and not another, a placeholder or a tag
//! lost in translation, a key used but missing, or a key nothing uses, each fails here. (The
//! catalogues made in Rust cannot lack a language: each entry holds all of them.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

/// Every catalogue by language tag: key -> its texts (one, or a plural's forms).
fn catalogues() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut all = BTreeMap::new();
    for entry in fs::read_dir(ui().join("i18n")).unwrap() {
        let path = entry.unwrap().path();
        let tag = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        let json: serde_json::Map<String, Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a JSON object: {e}", path.display()));
        let texts = json
            .into_iter()
            .map(|(key, value)| {
                let forms = match value {
                    Value::String(s) => vec![s],
                    Value::Object(forms) => {
                        assert!(
                            forms.contains_key("other"),
                            "{tag}: {key} has no 'other' form"
                        );
                        forms
                            .into_iter()
                            .map(|(_, v)| v.as_str().expect("a plural form is text").to_string())
                            .collect()
                    }
                    other => panic!("{tag}: {key} is neither text nor plural forms: {other}"),
                };
                (key, forms)
            })
            .collect();
        all.insert(tag, texts);
    }
    all
}

fn placeholders(texts: &[String]) -> BTreeSet<String> {
    let re = Regex::new(r"\{(\w+)\}").unwrap();
    texts
        .iter()
        .flat_map(|t| {
            re.captures_iter(t)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn tags(text: &str) -> Vec<String> {
    let re = Regex::new(r"</?[a-z]+[^>]*>").unwrap();
    let mut found: Vec<String> = re.find_iter(text).map(|m| m.as_str().to_string()).collect();
    found.sort();
    found
}

#[test]
fn every_catalogue_has_every_key_with_the_same_placeholders_and_markup() {
    let all = catalogues();
    let en = &all["en"];
    assert!(all.contains_key("zh-CN"), "no Chinese catalogue");
    for (tag, texts) in &all {
        let keys: BTreeSet<&String> = texts.keys().collect();
        let english: BTreeSet<&String> = en.keys().collect();
        let missing: Vec<_> = english.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&english).collect();
        assert!(missing.is_empty(), "{tag} lacks {missing:?}");
        assert!(extra.is_empty(), "{tag} has keys English lacks: {extra:?}");
        for (key, forms) in texts {
            assert!(
                forms.iter().all(|f| !f.trim().is_empty()),
                "{tag}: {key} is empty"
            );
            // A plural may drop {n} in a form ("one site"), not across all its forms.
            assert_eq!(
                placeholders(forms),
                placeholders(&en[key]),
                "{tag}: {key} has other placeholders than English"
            );
            assert_eq!(
                tags(&forms[0]),
                tags(&en[key][0]),
                "{tag}: {key} has other markup than English"
            );
        }
    }
}

/// The keys the page and the scripts name: exact ones, and the prefixes of keys made at run
/// time (`verdict.${r.verdict}`).
fn used_keys() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut exact = BTreeSet::new();
    let mut prefixes = BTreeSet::new();
    let html = fs::read_to_string(ui().join("index.html")).unwrap();
    let attr = Regex::new(r#"data-i18n(?:-html)?="([^"]+)""#).unwrap();
    for c in attr.captures_iter(&html) {
        exact.insert(c[1].to_string());
    }
    let attrs = Regex::new(r#"data-i18n-attr="([^"]+)""#).unwrap();
    for c in attrs.captures_iter(&html) {
        for pair in c[1].split(';') {
            let (_, key) = pair.split_once(':').expect("attr:key");
            exact.insert(key.to_string());
        }
    }
    // t('key'...), and keys given to views as option values ('count.rules', 'editor.type_site').
    let quoted = Regex::new(r"'([a-z_]+\.[a-z_]+)'").unwrap();
    let template = Regex::new(r"`([a-z_]+\.[a-z_]*)\$\{").unwrap();
    for entry in fs::read_dir(ui().join("js")).unwrap() {
        let path = entry.unwrap().path();
        let js = fs::read_to_string(&path).unwrap();
        for c in quoted.captures_iter(&js) {
            exact.insert(c[1].to_string());
        }
        for c in template.captures_iter(&js) {
            prefixes.insert(c[1].to_string());
        }
    }
    (exact, prefixes)
}

#[test]
fn every_key_the_window_uses_is_in_the_catalogue_and_every_key_is_used() {
    let all = catalogues();
    let en = &all["en"];
    let (exact, prefixes) = used_keys();
    // Quoted names that are not keys: CSS selectors and such.
    let not_keys = ["ul.entries"];
    let missing: Vec<&String> = exact
        .iter()
        .filter(|k| !en.contains_key(*k) && !not_keys.contains(&k.as_str()))
        .collect();
    assert!(missing.is_empty(), "used but not in en.json: {missing:?}");
    for prefix in &prefixes {
        assert!(
            en.keys().any(|k| k.starts_with(prefix.as_str())),
            "no key starts with {prefix}"
        );
    }
    let unused: Vec<&String> = en
        .keys()
        .filter(|k| !exact.contains(*k) && !prefixes.iter().any(|p| k.starts_with(p.as_str())))
        .collect();
    assert!(unused.is_empty(), "in en.json but used nowhere: {unused:?}");
}
