//! Finds the line of a JSON pointer's target inside one image's raw JSON, so
//! findings can point at the offending field, not only at the image.

/// The 0-based line offset, from the start of `json`, of the value `tokens`
/// point at (the line of its key for object members); `None` if absent.
/// `json` has already been validated by serde_json.
pub fn pointer_line(json: &[u8], tokens: &[String]) -> Option<u64> {
    let mut walker = Walker {
        json,
        pos: 0,
        line: 0,
    };
    walker.find(tokens)
}

struct Walker<'a> {
    json: &'a [u8],
    pos: usize,
    line: u64,
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.json.get(self.pos).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.bump();
        }
        None
    }

    /// Returns the raw string between the quotes and moves past it.
    fn string(&mut self) -> &[u8] {
        self.bump();
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b'"' => break,
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                _ => self.bump(),
            }
        }
        let end = self.pos;
        self.bump();
        &self.json[start..end]
    }

    fn skip_value(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.skip_ws() {
            match b {
                b'"' => {
                    self.string();
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.bump();
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    self.bump();
                }
                b',' | b':' if depth == 0 => return,
                _ => self.bump(),
            }
            if depth == 0
                && matches!(
                    self.json.get(self.pos.wrapping_sub(1)),
                    Some(b'"' | b'}' | b']')
                )
            {
                return;
            }
        }
    }

    fn find(&mut self, tokens: &[String]) -> Option<u64> {
        let Some((token, rest)) = tokens.split_first() else {
            return Some(self.line);
        };
        match self.skip_ws()? {
            b'{' => {
                self.bump();
                loop {
                    if self.skip_ws()? != b'"' {
                        return None;
                    }
                    let key_line = self.line;
                    let raw = self.string();
                    let matches = if raw.contains(&b'\\') {
                        let quoted = [b"\"", raw, b"\""].concat();
                        serde_json::from_slice::<String>(&quoted).ok().as_deref()
                            == Some(token.as_str())
                    } else {
                        raw == token.as_bytes()
                    };
                    self.skip_ws();
                    self.bump(); // ':'
                    if matches {
                        return if rest.is_empty() {
                            Some(key_line)
                        } else {
                            self.find(rest)
                        };
                    }
                    self.skip_value();
                    match self.skip_ws()? {
                        b',' => self.bump(),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                self.bump();
                for _ in 0..index {
                    if self.skip_ws()? == b']' {
                        return None;
                    }
                    self.skip_value();
                    if self.skip_ws()? != b',' {
                        return None;
                    }
                    self.bump();
                }
                if self.skip_ws()? == b']' {
                    return None;
                }
                self.find(rest)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str, tokens: &[&str]) -> Option<u64> {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        pointer_line(json.as_bytes(), &tokens)
    }

    #[test]
    fn finds_members_and_elements() {
        let json = "{\n  \"A\": {\"x\": [1, {\"y\": \"}\"}]},\n  \"Name\": \"n\",\n  \"BlockDeviceMappings\": [\n    {\"DeviceName\": \"/dev/a\"},\n    {\n      \"Ebs\": {\n        \"Encrypted\": false\n      }\n    }\n  ],\n  \"a/b\": 1\n}";
        assert_eq!(line(json, &[]), Some(0));
        assert_eq!(line(json, &["Name"]), Some(2));
        assert_eq!(
            line(json, &["BlockDeviceMappings", "1", "Ebs", "Encrypted"]),
            Some(7)
        );
        assert_eq!(line(json, &["BlockDeviceMappings", "1"]), Some(5));
        assert_eq!(line(json, &["a/b"]), Some(11));
        assert_eq!(line(json, &["ImdsSupport"]), None);
        assert_eq!(line(json, &["BlockDeviceMappings", "2"]), None);
        assert_eq!(line(json, &["Name", "x"]), None);
    }
}
