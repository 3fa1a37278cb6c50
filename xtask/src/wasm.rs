//! Dropping the `name` custom section (debug names, ~40% of our WASM) from a module while
//! keeping everything else, `target_features` included. cargo's `strip = true` would drop that
//! one too, and wasm-bindgen and wasm-opt need it.

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

/// Bytes of function code per crate, largest first, from the `name` section of an unstripped
/// module (empty without one): where the WASM's size comes from.
pub fn code_size_by_crate(wasm: &[u8]) -> Result<Vec<(String, usize)>, Error> {
    let mut imported_functions = 0;
    let mut bodies: Vec<usize> = Vec::new();
    let mut names: std::collections::HashMap<usize, String> = std::collections::HashMap::new();
    let mut i = 8;
    while i < wasm.len() {
        let id = wasm[i];
        i += 1;
        let size = leb128(wasm, &mut i)?;
        let end = i.checked_add(size).filter(|&end| end <= wasm.len()).ok_or("a section runs past the end")?;
        let payload = &wasm[i..end];
        match id {
            2 => imported_functions = count_function_imports(payload)?,
            10 => {
                let mut j = 0;
                for _ in 0..leb128(payload, &mut j)? {
                    let start = j;
                    let len = leb128(payload, &mut j)?;
                    j += len;
                    bodies.push(j - start);
                }
            }
            0 if custom_name(payload)? == b"name" => names = function_names(payload)?,
            _ => {}
        }
        i = end;
    }
    let mut by_crate: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, size) in bodies.iter().enumerate() {
        let name = names.get(&(index + imported_functions)).map(String::as_str).unwrap_or("?");
        *by_crate.entry(crate_of(name)).or_default() += size;
    }
    let mut sizes: Vec<(String, usize)> = by_crate.into_iter().collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(sizes)
}

/// The crate a demangled function name belongs to: `<T as tachys::view::Render>::build` → tachys.
fn crate_of(name: &str) -> String {
    // `<T as some_crate::Trait>`: a generic type says nothing, the trait's crate does.
    let name = match name.strip_prefix('<').and_then(|n| n.split_once(" as ")) {
        Some((self_type, trait_path)) if !self_type.contains("::") => trait_path,
        _ => name,
    };
    let name = name.trim_start_matches(['<', '&', '*', '(']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let end = name.find([':', '[', '<', '>', ' ', '(']).unwrap_or(name.len());
    let krate = &name[..end];
    if krate.is_empty() || krate.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        "(other)".to_owned()
    } else {
        krate.to_owned()
    }
}

fn count_function_imports(payload: &[u8]) -> Result<usize, Error> {
    let mut j = 0;
    let mut functions = 0;
    for _ in 0..leb128(payload, &mut j)? {
        for _ in 0..2 {
            let len = leb128(payload, &mut j)?;
            j += len;
        }
        let kind = *payload.get(j).ok_or("truncated import")?;
        j += 1;
        match kind {
            0 => {
                functions += 1;
                leb128(payload, &mut j)?;
            }
            1 => {
                j += 1;
                limits(payload, &mut j)?;
            }
            2 => limits(payload, &mut j)?,
            3 => j += 2,
            4 => {
                j += 1;
                leb128(payload, &mut j)?;
            }
            _ => return Err("unknown import kind".into()),
        }
    }
    Ok(functions)
}

fn limits(payload: &[u8], j: &mut usize) -> Result<(), Error> {
    let flags = *payload.get(*j).ok_or("truncated limits")?;
    *j += 1;
    leb128(payload, j)?;
    if flags & 1 == 1 {
        leb128(payload, j)?;
    }
    Ok(())
}

/// Function index → name, from the payload of a `name` section.
fn function_names(payload: &[u8]) -> Result<std::collections::HashMap<usize, String>, Error> {
    let mut names = std::collections::HashMap::new();
    let mut j = 0;
    let len = leb128(payload, &mut j)?;
    j += len;
    while j < payload.len() {
        let kind = payload[j];
        j += 1;
        let size = leb128(payload, &mut j)?;
        let end = j + size;
        if kind == 1 {
            let mut k = j;
            for _ in 0..leb128(payload, &mut k)? {
                let index = leb128(payload, &mut k)?;
                let len = leb128(payload, &mut k)?;
                let name = payload.get(k..k + len).ok_or("truncated function name")?;
                names.insert(index, String::from_utf8_lossy(name).into_owned());
                k += len;
            }
        }
        j = end;
    }
    Ok(names)
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
    fn names_the_crate_of_a_function() {
        assert_eq!(crate_of("widgets_app::app::__component_app::hdf55"), "widgets_app");
        assert_eq!(crate_of("<T as tachys::view::any_view::IntoAny>::into_any::build::h7"), "tachys");
        assert_eq!(crate_of("<chrono::format::DelayedFormat<I> as core::fmt::Display>::fmt::h8"), "chrono");
        assert_eq!(crate_of("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<A>>::malloc"), "dlmalloc");
        assert_eq!(crate_of("__wbindgen_malloc"), "__wbindgen_malloc");
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
