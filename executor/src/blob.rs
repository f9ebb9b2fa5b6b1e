//! Runtime code as stored on chain: maybe zstd-compressed wasm; what we read from it without
//! instantiating, and the rewrites applied before compiling.

use wasm_encoder::{
    reencode::{Reencode, RoundtripReencoder},
    EntityType, ExportKind, ExportSection, ImportSection, MemorySection, MemoryType, Module,
    RawSection,
};
use wasmparser::{Parser, Payload, TypeRef};

use crate::Error;

/// Decompressed code larger than this is treated as a compression bomb (as Substrate does).
pub const CODE_BLOB_BOMB_LIMIT: usize = sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT;

/// Name under which the prepared module exports its linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// Export name given to mutable global `index` when the legacy strategy needs to restore it.
pub fn exported_global_name(index: u32) -> String {
    format!("__executor_global_{index}")
}

/// An active data segment: bytes copied to `offset` at instantiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSegment {
    /// Where in linear memory the bytes go.
    pub offset: u32,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A decompressed wasm module and the facts about it the executor needs.
#[derive(Debug, Clone)]
pub struct RuntimeBlob {
    wasm: Vec<u8>,
    /// The module's memory as it declares it, imported (`env.memory`) or defined.
    memory: Option<wasmparser::MemoryType>,
    exports_memory: bool,
    /// Indices (in the global index space) of the module's own mutable globals.
    mutable_globals: Vec<u32>,
}

impl RuntimeBlob {
    /// Decompresses `code` if it carries Substrate's zstd prefix and checks it is a wasm module
    /// we can prepare.
    pub fn new(code: &[u8]) -> Result<Self, Error> {
        let wasm = sp_maybe_compressed_blob::decompress(code, CODE_BLOB_BOMB_LIMIT).map_err(
            |e| match e {
                sp_maybe_compressed_blob::Error::PossibleBomb => Error::CompressionBomb {
                    limit: CODE_BLOB_BOMB_LIMIT,
                },
                sp_maybe_compressed_blob::Error::Invalid => {
                    Error::InvalidBlob("the zstd-compressed code could not be decompressed".into())
                }
            },
        )?;
        Self::from_wasm(wasm.into_owned())
    }

    fn from_wasm(wasm: Vec<u8>) -> Result<Self, Error> {
        if !wasm.starts_with(b"\0asm") {
            let start = &wasm[..wasm.len().min(8)];
            return Err(Error::InvalidBlob(format!(
                "not a wasm module: expected the `\\0asm` magic, found 0x{} ({} bytes in all)",
                hex_prefix(start),
                wasm.len()
            )));
        }
        let mut blob = Self {
            wasm,
            memory: None,
            exports_memory: false,
            mutable_globals: Vec::new(),
        };
        blob.scan()
            .map_err(|e| Error::InvalidBlob(format!("malformed wasm: {e}")))?;
        Ok(blob)
    }

    fn scan(&mut self) -> wasmparser::Result<()> {
        let mut imported_globals = 0;
        for payload in Parser::new(0).parse_all(&self.wasm) {
            match payload? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import?;
                        match import.ty {
                            TypeRef::Memory(ty) => self.memory = Some(ty),
                            TypeRef::Global(_) => imported_globals += 1,
                            _ => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => {
                    if let Some(ty) = reader.into_iter().next() {
                        self.memory = Some(ty?);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for (i, global) in reader.into_iter().enumerate() {
                        if global?.ty.mutable {
                            self.mutable_globals.push(imported_globals + i as u32);
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        if export.kind == wasmparser::ExternalKind::Memory {
                            self.exports_memory = true;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Indices of the module's own mutable globals (in the global index space).
    pub fn mutable_globals(&self) -> &[u32] {
        &self.mutable_globals
    }

    /// The decompressed wasm bytes.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The contents of the first custom section called `name`.
    pub fn custom_section(&self, name: &str) -> Option<&[u8]> {
        Parser::new(0)
            .parse_all(&self.wasm)
            .find_map(|payload| match payload {
                Ok(Payload::CustomSection(reader)) if reader.name() == name => Some(reader.data()),
                _ => None,
            })
    }

    /// The module's active data segments (offsets must be constants, as in every real runtime).
    pub fn data_segments(&self) -> Result<Vec<DataSegment>, Error> {
        let mut segments = Vec::new();
        for payload in Parser::new(0).parse_all(&self.wasm) {
            let Payload::DataSection(reader) = payload.map_err(malformed)? else {
                continue;
            };
            for data in reader {
                let data = data.map_err(malformed)?;
                if let wasmparser::DataKind::Active { offset_expr, .. } = data.kind {
                    let mut ops = offset_expr.get_operators_reader();
                    let offset = match ops.read().map_err(malformed)? {
                        wasmparser::Operator::I32Const { value } => value as u32,
                        other => {
                            return Err(Error::InvalidBlob(format!(
                                "data segment offset must be an i32.const, found {other:?}"
                            )))
                        }
                    };
                    segments.push(DataSegment {
                        offset,
                        bytes: data.data.to_vec(),
                    });
                }
            }
        }
        Ok(segments)
    }

    /// The module rewritten for compilation:
    /// - its memory is defined and exported as [`MEMORY_EXPORT`] (an `env.memory` import
    ///   becomes a definition: copy-on-write images need a defined memory);
    /// - that memory starts `heap_pages` pages above its declared minimum and has no declared
    ///   maximum (the store's limits enforce the heap strategy's maximum). Starting at the heap's
    ///   size, as Substrate's executor does, spares every call growing (mprotect) and shrinking
    ///   its memory;
    /// - with `export_mutable_globals`, every mutable global is exported under
    ///   [`exported_global_name`] so it can be snapshotted and restored.
    pub fn prepare(&self, export_mutable_globals: bool, heap_pages: u32) -> Result<Vec<u8>, Error> {
        let memory = self.memory.ok_or_else(|| {
            Error::InvalidBlob("the module neither defines nor imports a memory".into())
        })?;
        let mut extra_exports: Vec<(String, ExportKind, u32)> = Vec::new();
        if !self.exports_memory {
            extra_exports.push((MEMORY_EXPORT.into(), ExportKind::Memory, 0));
        }
        if export_mutable_globals {
            extra_exports.extend(
                self.mutable_globals
                    .iter()
                    .map(|&i| (exported_global_name(i), ExportKind::Global, i)),
            );
        }
        let minimum =
            (memory.initial + u64::from(heap_pages)).min(u64::from(crate::MAX_WASM_PAGES));
        let mut rewriter = Rewriter {
            module: Module::new(),
            memory: MemoryType {
                minimum,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            },
            memory_emitted: false,
            pending_exports: Some(extra_exports),
        };
        rewriter
            .rewrite(&self.wasm)
            .map_err(|e| Error::InvalidBlob(format!("cannot prepare the module: {e}")))?;
        Ok(rewriter.module.finish())
    }

    /// Pages of the module's memory as it declares them (imported or defined).
    pub fn initial_memory_pages(&self) -> Result<u32, Error> {
        self.memory
            .map(|memory| memory.initial as u32)
            .ok_or_else(|| Error::InvalidBlob("the module has no memory".into()))
    }
}

fn malformed(e: wasmparser::BinaryReaderError) -> Error {
    Error::InvalidBlob(format!("malformed wasm: {e}"))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies a module section by section, replacing only the import and export sections and
/// inserting a memory section, so function bodies are carried over byte for byte.
struct Rewriter {
    module: Module,
    /// The memory to define, in place of the import or the original definition.
    memory: MemoryType,
    memory_emitted: bool,
    pending_exports: Option<Vec<(String, ExportKind, u32)>>,
}

/// Position of a section id in the order the binary format requires (custom sections: none).
fn section_rank(id: u8) -> Option<u8> {
    // type, import, function, table, memory, tag, global, export, start, element, datacount, code, data
    const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
    ORDER.iter().position(|&x| x == id).map(|p| p as u8)
}

const MEMORY_RANK: u8 = 4;
const EXPORT_RANK: u8 = 7;

impl Rewriter {
    fn rewrite(&mut self, wasm: &[u8]) -> Result<(), String> {
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| e.to_string())?;
            match payload {
                Payload::Version { .. } | Payload::End(_) => continue,
                Payload::ImportSection(reader) => {
                    self.flush_before(1);
                    let mut imports = ImportSection::new();
                    for import in reader.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        if matches!(import.ty, TypeRef::Memory(_)) {
                            continue;
                        }
                        let ty: EntityType = RoundtripReencoder
                            .entity_type(import.ty)
                            .map_err(|e| e.to_string())?;
                        imports.import(import.module, import.name, ty);
                    }
                    self.module.section(&imports);
                }
                Payload::MemorySection(_) => {
                    self.flush_before(MEMORY_RANK);
                    self.emit_memory();
                }
                Payload::ExportSection(reader) => {
                    self.flush_before(EXPORT_RANK);
                    let mut exports = ExportSection::new();
                    for export in reader {
                        let export = export.map_err(|e| e.to_string())?;
                        let kind = RoundtripReencoder
                            .export_kind(export.kind)
                            .map_err(|e| e.to_string())?;
                        exports.export(export.name, kind, export.index);
                    }
                    for (name, kind, index) in self.pending_exports.take().unwrap_or_default() {
                        exports.export(&name, kind, index);
                    }
                    self.module.section(&exports);
                }
                other => {
                    if let Some((id, range)) = other.as_section() {
                        if let Some(rank) = section_rank(id) {
                            self.flush_before(rank);
                        }
                        self.module.section(&RawSection {
                            id,
                            data: &wasm[range],
                        });
                    }
                }
            }
        }
        self.flush_before(u8::MAX);
        Ok(())
    }

    fn emit_memory(&mut self) {
        if !self.memory_emitted {
            self.memory_emitted = true;
            let mut section = MemorySection::new();
            section.memory(self.memory);
            self.module.section(&section);
        }
    }

    /// Emits the sections we add whose place comes before a section of `rank` (`u8::MAX`: the end).
    fn flush_before(&mut self, rank: u8) {
        if rank > MEMORY_RANK {
            self.emit_memory();
        }
        if rank > EXPORT_RANK {
            if let Some(extra) = self.pending_exports.take() {
                let mut exports = ExportSection::new();
                for (name, kind, index) in extra {
                    exports.export(&name, kind, index);
                }
                self.module.section(&exports);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    const IMPORTED_MEMORY: &str = r#"(module
        (import "env" "ext_a" (func $a (param i32)))
        (import "env" "memory" (memory 17))
        (global $sp (mut i32) (i32.const 1024))
        (global $const i32 (i32.const 7))
        (global $other (mut i64) (i64.const 5))
        (func (export "f") (param i32 i32) (result i64) (i64.const 0))
        (data (i32.const 8) "hello")
        (data (i32.const 100) "world")
        (@custom "runtime_version" "abc")
    )"#;

    #[test]
    fn import_becomes_exported_definition() {
        let blob = RuntimeBlob::new(&module(IMPORTED_MEMORY)).unwrap();
        assert_eq!(blob.initial_memory_pages().unwrap(), 17);
        let prepared = blob.prepare(false, 0).unwrap();
        wasmparser::validate(&prepared).unwrap();
        let prepared = RuntimeBlob::new(&prepared).unwrap();
        let memory = prepared.memory.unwrap();
        assert!(prepared.exports_memory);
        assert_eq!((memory.initial, memory.maximum), (17, None));
        assert_eq!(
            prepared.custom_section("runtime_version"),
            Some(&b"abc"[..])
        );
        assert_eq!(
            prepared.data_segments().unwrap(),
            blob.data_segments().unwrap()
        );
    }

    #[test]
    fn legacy_exports_mutable_globals() {
        let blob = RuntimeBlob::new(&module(IMPORTED_MEMORY)).unwrap();
        assert_eq!(blob.mutable_globals, vec![0, 2]);
        let prepared = blob.prepare(true, 0).unwrap();
        let names: Vec<String> = Parser::new(0)
            .parse_all(&prepared)
            .filter_map(|p| match p.unwrap() {
                Payload::ExportSection(r) => Some(
                    r.into_iter()
                        .map(|e| e.unwrap().name.to_owned())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(
            names,
            [
                "f",
                "memory",
                &exported_global_name(0),
                &exported_global_name(2)
            ]
        );
    }

    #[test]
    fn defined_memory_is_kept() {
        let wasm = module(r#"(module (memory (export "mem") 3 5) (func (export "f")))"#);
        let blob = RuntimeBlob::new(&wasm).unwrap();
        assert_eq!(blob.initial_memory_pages().unwrap(), 3);
        let prepared = RuntimeBlob::new(&blob.prepare(false, 10).unwrap()).unwrap();
        wasmparser::validate(prepared.wasm()).unwrap();
        let memory = prepared.memory.unwrap();
        assert!(prepared.exports_memory);
        // The heap is added to the minimum; the store's limits replace the declared maximum.
        assert_eq!((memory.initial, memory.maximum), (13, None));
    }

    #[test]
    fn module_without_exports_gets_an_export_section() {
        let wasm =
            module(r#"(module (import "env" "memory" (memory 1)) (data (i32.const 0) "x"))"#);
        let prepared = RuntimeBlob::new(&wasm).unwrap().prepare(false, 0).unwrap();
        wasmparser::validate(&prepared).unwrap();
        assert!(RuntimeBlob::new(&prepared).unwrap().exports_memory);
    }

    #[test]
    fn bad_input_is_named() {
        let err = RuntimeBlob::new(b"hello world").unwrap_err();
        assert!(
            matches!(err, Error::InvalidBlob(ref m) if m.contains("magic")),
            "{err}"
        );
        let mut truncated = module(IMPORTED_MEMORY);
        truncated.truncate(truncated.len() / 2);
        let err = RuntimeBlob::new(&truncated).unwrap_err();
        assert!(
            matches!(err, Error::InvalidBlob(ref m) if m.contains("malformed")),
            "{err}"
        );
    }

    #[test]
    fn compressed_code_and_bombs() {
        let wasm = module(IMPORTED_MEMORY);
        let compressed =
            sp_maybe_compressed_blob::compress_weakly(&wasm, CODE_BLOB_BOMB_LIMIT).unwrap();
        assert_ne!(compressed, wasm);
        assert_eq!(RuntimeBlob::new(&compressed).unwrap().wasm(), &wasm[..]);

        // 60 MiB of zeros behind a valid prefix: well over the limit.
        let huge = vec![0u8; CODE_BLOB_BOMB_LIMIT + 10 * 1024 * 1024];
        let mut bomb = sp_maybe_compressed_blob_prefix().to_vec();
        bomb.extend(zstd_frame(&huge));
        assert_eq!(
            RuntimeBlob::new(&bomb).unwrap_err(),
            Error::CompressionBomb {
                limit: CODE_BLOB_BOMB_LIMIT
            }
        );

        // A zstd frame without Substrate's prefix is not compressed code.
        let err = RuntimeBlob::new(&zstd_frame(&wasm)).unwrap_err();
        assert!(matches!(err, Error::InvalidBlob(_)), "{err}");
    }

    fn sp_maybe_compressed_blob_prefix() -> [u8; 8] {
        let compressed = sp_maybe_compressed_blob::compress_weakly(b"x", 10).unwrap();
        compressed[..8].try_into().unwrap()
    }

    /// A zstd frame of `data`, taken from what sp-maybe-compressed-blob produces.
    fn zstd_frame(data: &[u8]) -> Vec<u8> {
        let compressed = sp_maybe_compressed_blob::compress_weakly(data, usize::MAX - 1).unwrap();
        compressed[8..].to_vec()
    }
}
