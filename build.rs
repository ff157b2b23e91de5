//! Embeds the policy files under `rules/` in the binary, so `posture scan`
//! needs nothing beside it. Files directly in `rules/` and one level of
//! policy directories (`rules/NAME/*.yaml`) are embedded.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    for path in yaml_files(Path::new("rules")) {
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            files.extend(yaml_files(&path).into_iter().filter(|p| is_yaml(p)));
        } else if is_yaml(&path) {
            files.push(path);
        }
    }
    let mut code = String::from("pub static BUILTIN_POLICY_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let abs = std::fs::canonicalize(f).expect("rules file path");
        let _ = writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            f.display().to_string(),
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_policies.rs");
    std::fs::write(out, code).expect("write builtin_policies.rs");
}

fn is_yaml(p: &Path) -> bool {
    p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}
