//! The pages' templates (minijinja, built into the binary). Every value a template prints is
//! HTML-escaped unless it was explicitly marked safe, and strings also have their hidden
//! characters (controls, bidirectional overrides) written out visibly: log text is written by
//! whoever sent the log, attackers included.

use minijinja::{AutoEscape, Environment, Value};

use crate::error::Result;

/// (name, text) of every template.
pub const SOURCES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("alerts.html", include_str!("../templates/alerts.html")),
    ("alert.html", include_str!("../templates/alert.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("rules.html", include_str!("../templates/rules.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("reports.html", include_str!("../templates/reports.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("settings.html", include_str!("../templates/settings.html")),
];

/// The template environment.
pub fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(|out, state, value: &Value| {
        if state.auto_escape() == AutoEscape::Html
            && !value.is_safe()
            && let Some(text) = value.as_str()
        {
            out.write_str(&canhgac_engine::text::html(text))?;
            return Ok(());
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, text) in SOURCES {
        env.add_template(name, text)?;
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_is_escaped_and_made_visible() {
        let env = environment().expect("templates");
        let tmpl = env
            .template_from_str("<td>{{ raw }}</td><a title=\"{{ raw }}\">")
            .expect("template");
        let out = tmpl
            .render(minijinja::context! { raw => "<script>alert(1)</script>\"><img onerror=x>\u{202e}" })
            .expect("render");
        assert!(!out.contains("<script>") && !out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;") && out.contains("&quot;&gt;&lt;img"));
        assert!(out.contains("\\u{202e}"), "{out}");
    }
}
