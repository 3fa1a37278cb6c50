//! Dropping the `name` custom section (debug names, ~40% of our WASM) from a module while
//! keeping everything else, `target_features` included. cargo's `strip = true` would drop that
//! one too, and wasm-bindgen and wasm-opt need it (docs: TOOLCHAIN.md, pitfall 4).

use crate::Error;

const HEADER: [u8; 8] = [0, b'a', b's', b'm', 1, 0, 0, 0];

/// The module without its custom sections named `name`.
pub fn strip_names(wasm: &[u8]) -> Result<Vec<u8>, Error> {
    if wasm.get(..8) != Some(&HEADER[..]) {
        return Err("not a WebAssembly 1.0 module".into());
    }
    let mut out = HEADER.to_vec();
    let mut i = 8;
    while i < wasm.len() {
        let start = i;
        let id = wasm[i];
        i += 1;
        let size = leb128(wasm, &mut i)?;
        let end = i.checked_add(size).filter(|&end| end <= wasm.len()).ok_or("a section runs past the end")?;
        let keep = id != 0 || custom_name(&wasm[i..end])? != b"name";
        if keep {
            out.extend_from_slice(&wasm[start..end]);
        }
        i = end;
    }
    Ok(out)
}

/// The name of a custom section, from its payload.
fn custom_name(payload: &[u8]) -> Result<&[u8], Error> {
    let mut j = 0;
    let len = leb128(payload, &mut j)?;
    payload.get(j..j + len).ok_or_else(|| "a custom section name runs past its section".into())
}

/// An unsigned LEB128 number at `bytes[*i..]`; moves `i` past it.
fn leb128(bytes: &[u8], i: &mut usize) -> Result<usize, Error> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*i).ok_or("truncated LEB128 number")?;
        *i += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err("LEB128 number too long".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        let mut section = vec![0, body.len() as u8];
        section.extend(body);
        section
    }

    #[test]
    fn drops_only_the_name_section() {
        let type_section = [1u8, 4, 1, 0x60, 0, 0];
        let mut module = HEADER.to_vec();
        module.extend_from_slice(&type_section);
        module.extend(custom("name", &[1, 2, 3]));
        module.extend(custom("target_features", &[0]));
        let stripped = strip_names(&module).unwrap();
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&type_section);
        expected.extend(custom("target_features", &[0]));
        assert_eq!(stripped, expected);
    }

    #[test]
    fn long_sections_and_bad_input() {
        let mut module = HEADER.to_vec();
        // A 200-byte custom section: its size needs two LEB128 bytes.
        let mut body = vec![4];
        body.extend_from_slice(b"name");
        body.resize(200, 7);
        module.extend_from_slice(&[0, 0xc8, 0x01]);
        module.extend(body);
        assert_eq!(strip_names(&module).unwrap(), HEADER.to_vec());
        assert!(strip_names(b"nope").is_err());
        let mut truncated = HEADER.to_vec();
        truncated.extend_from_slice(&[1, 10, 0]);
        assert!(strip_names(&truncated).is_err());
    }
}
