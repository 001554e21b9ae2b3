//! Stage `language`: the language of the cleaned text. An input hint wins.

/// Normalises a hint like `fr_FR`, `FR`, `fr-BE` to `fr`.
pub fn normalize_hint(hint: &str) -> Option<String> {
    let code: String = hint
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    (2..=3).contains(&code.len()).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(normalize_hint("fr_FR").as_deref(), Some("fr"));
        assert_eq!(normalize_hint("EN-us").as_deref(), Some("en"));
        assert_eq!(normalize_hint(""), None);
    }
}
