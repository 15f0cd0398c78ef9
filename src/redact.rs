//! What of the user's input a message may quote back: never anything that could be a secret.
//! Messages end up in logs, and a token pasted into the wrong field is still a token.

use crate::token::has_token_prefix;

/// Values this long could be a token secret (minted ones are 53 characters; Bitbucket's longer).
const SECRET_MIN_CHARS: usize = 32;

/// Whether an input value may be quoted back in a message: shorter than any token and without
/// a known token prefix (`sg?_`, `ATBB`, `ATATT`, `ATCTT`). Anything else could be a secret
/// pasted into the wrong field, and messages end up in logs.
pub(crate) fn may_quote(value: &str) -> bool {
    value.chars().nth(SECRET_MIN_CHARS - 1).is_none() && !has_token_prefix(value)
}

/// What a message says instead of a value that could be a secret: only its length.
fn withheld(value: &str) -> String {
    format!("<{} characters, not shown: it could be a secret>", value.chars().count())
}

/// User input in a message, JSON-quoted (`"tomorrow"`) when [`may_quote`] allows, else only
/// its length. The one place the rule is applied; [`ticked`] is its backtick form.
pub(crate) fn quoted(value: &str) -> String {
    if may_quote(value) {
        serde_json::to_string(value).unwrap_or_default()
    } else {
        withheld(value)
    }
}

/// A name from the input (an unknown field, a scope) in backticks, by the rule of [`quoted`].
pub(crate) fn ticked(value: &str) -> String {
    if may_quote(value) {
        format!("`{value}`")
    } else {
        withheld(value)
    }
}

/// A message written by other code (serde, a parser) with every `"..."` and `` `...` `` span
/// that [`may_quote`] refuses replaced by its length: the backstop for messages this crate
/// does not word itself.
pub(crate) fn redact_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        let mut chars = tail.chars();
        let quote = chars.next().unwrap_or('"');
        let body = chars.as_str();
        // The closing quote: the next one not escaped by a backslash.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(end) = end else {
            // Unclosed: judge the rest as one value.
            out.push(quote);
            out.push_str(&if may_quote(body) { body.to_string() } else { withheld(body) });
            return out;
        };
        let inner = body.get(..end).unwrap_or_default();
        if may_quote(inner) {
            out.push(quote);
            out.push_str(inner);
            out.push(quote);
        } else {
            out.push_str(&withheld(inner));
        }
        rest = body.get(end + quote.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_that_cannot_be_tokens_are_quoted() {
        assert_eq!(quoted("tomorrow"), "\"tomorrow\"");
        assert_eq!(ticked("expires_on"), "`expires_on`");
        let long = "x".repeat(32);
        assert_eq!(quoted(&long), "<32 characters, not shown: it could be a secret>");
        assert_eq!(quoted(&"x".repeat(31)), format!("\"{}\"", "x".repeat(31)));
        for prefixed in ["sga_1", "sgz_", "ATBB1", "ATATT3", "ATCTT3x"] {
            assert!(!may_quote(prefixed), "{prefixed}");
            assert!(!ticked(prefixed).contains(prefixed), "{prefixed}");
        }
        assert!(may_quote("sg_x") && may_quote("ATB") && may_quote("atbb"));
        // Characters, not bytes: 31 two-byte characters are still short.
        assert!(may_quote(&"é".repeat(31)));
    }

    #[test]
    fn foreign_messages_are_redacted() {
        let token = format!("sga_{}", "A".repeat(49));
        let m = format!("invalid type: string \"{token}\", expected a sequence at `scopes`");
        let r = redact_quotes(&m);
        assert!(!r.contains(&token), "{r}");
        assert!(r.contains("<53 characters, not shown") && r.contains("`scopes`"), "{r}");
        assert_eq!(redact_quotes("unknown field `x`, expected \"y\""), "unknown field `x`, expected \"y\"");
        assert_eq!(redact_quotes(r#"a "b\"c" d"#), r#"a "b\"c" d"#);
        let open = format!("unclosed `{token}");
        assert!(!redact_quotes(&open).contains(&token));
    }
}
