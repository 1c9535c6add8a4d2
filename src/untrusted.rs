//! Other people's text (image names, descriptions, tags, policy output) on
//! its way to a terminal or a CI log.

/// Image names, descriptions and tags are other people's text: control
/// characters (terminal escapes among them) never reach the terminal raw,
/// and no log reads it as a command: GitHub's runner takes `##[name]…`
/// anywhere in a line as a (legacy) workflow command, so `##[` is broken
/// with a zero-width space (`##\u{200B}[`). A line starting `::` cannot
/// form: newlines are control characters.
pub fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    if cleaned.contains("##[") {
        cleaned.replace("##[", "##\u{200B}[")
    } else {
        cleaned
    }
}

/// `text` as lines, each made safe (`clean`): a newline in it cannot start a
/// line of its own (`::error::…` in a policy's `print`).
pub fn lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(['\n', '\r']).map(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_30_no_workflow_command_survives() {
        let got = clean("x ##[error]owned \x1b[31m");
        assert!(!got.contains("##["), "{got}");
        assert!(!got.contains('\x1b'), "{got}");
        let got: Vec<String> = lines("a\n::error::x\r\n##[set-output name=a;]b").collect();
        assert!(got.iter().all(|l| !l.contains("##[")), "{got:?}");
        assert_eq!(got[1], "::error::x", "the caller prefixes each line");
    }
}
