//! The JIT's tunables, defined once: name, default, meaning.
//!
//! Everything else is generated from the table below: the [`JitParams`] struct, its
//! defaults, lookup by name (for `Config::jit_param` and `spur run --jit-param
//! name=value`) and the listing `spur jit-params` prints. The presets
//! ([`JitPreset`]: `interactive`, `batch`, `embedded`, `none`) are a second table, one row
//! of values over these tunables each. The defaults follow LuaJIT 2.1's
//! (`hotloop` 56, `hotexit` 10, `tryside` 4, `maxside` 100, `loopunroll` 15, the penalty
//! scheme), widened where WebAssembly modules are bigger (`maxtrace`, `maxmcode`,
//! `maxrecord`).

use crate::error::Error;

macro_rules! jit_params {
    ($( $(#[doc = $doc:literal])* $name:ident: $default:literal, )*) => {
        /// The JIT's tunables. Set them by name with [`crate::Config::jit_param`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct JitParams {
            $( $(#[doc = $doc])* pub $name: u32, )*
        }

        impl Default for JitParams {
            fn default() -> JitParams {
                JitParams { $( $name: $default, )* }
            }
        }

        impl JitParams {
            /// Every tunable: name, default value, and a one-line description.
            pub const TABLE: &'static [(&'static str, u32, &'static str)] = &[
                $( (stringify!($name), $default, concat!($($doc),*)), )*
            ];

            /// Sets the tunable called `name`.
            pub fn set(&mut self, name: &str, value: u32) -> Result<(), Error> {
                let mut next = *self;
                match name {
                    $( stringify!($name) => next.$name = value, )*
                    _ => {
                        let known: Vec<&str> = Self::TABLE.iter().map(|p| p.0).collect();
                        return Err(Error::usage(format!(
                            "unknown JIT parameter `{name}` (known: {})",
                            known.join(", ")
                        )));
                    }
                }
                next.check()?;
                *self = next;
                Ok(())
            }

            /// The value of the tunable called `name`.
            pub fn get(&self, name: &str) -> Option<u32> {
                match name {
                    $( stringify!($name) => Some(self.$name), )*
                    _ => None,
                }
            }
        }
    };
}

jit_params! {
    /// Loop iterations before a loop is recorded (at least 1).
    hotloop: 56,
    /// Calls of a recursive function, or from the host of a function with no loop (see
    /// `hostsize`), before a trace is recorded from its entry (at least 1).
    hotcall: 112,
    /// Bytecode instructions a function with no loop needs for calls from the host to
    /// count towards a function trace: a smaller one costs less to interpret than a
    /// trace costs to enter and leave.
    hostsize: 256,
    /// Taken exits before a side trace is recorded from that exit.
    hotexit: 10,
    /// Further side-trace attempts from one exit before it falls back to the interpreter.
    tryside: 4,
    /// IR instructions in one trace.
    maxrecord: 8000,
    /// IR constants in one trace.
    maxirconst: 1000,
    /// Snapshots in one trace.
    maxsnap: 500,
    /// Side traces of one tree; each `br_table` target's side trace starts a count of
    /// its own (a bytecode interpreter's dispatch loop is one tree).
    maxside: 100,
    /// Depth of calls inlined into one trace.
    maxinline: 16,
    /// Targets a `call_indirect` site inlines, each behind a guard, before it is
    /// megamorphic: traces then call whatever it calls natively, without a guard.
    maxpoly: 4,
    /// Iterations of an inner loop unrolled into an outer loop's trace before the
    /// recording gives up on the outer loop.
    loopunroll: 15,
    /// Traces alive at once; past it the least recently entered trees are evicted.
    maxtrace: 4000,
    /// KiB of machine code for all traces; past it the least recently entered trees are
    /// evicted.
    maxmcode: 65536,
    /// Loop iterations of delay after a first abort (the penalty doubles on each abort).
    penaltymin: 72,
    /// Penalty past which a loop is blacklisted and left to the interpreter.
    penaltymax: 60000,
    /// Random bits added to each doubled penalty.
    penaltyrnd: 4,
    /// Percent of the time since the JIT started that recording and compiling may take,
    /// past a first `budgetms`; beyond it, hot loops and exits wait (100: no limit).
    budget: 10,
    /// Milliseconds of recording and compiling always allowed (see `budget`).
    budgetms: 5,
    /// How many times its threshold (`hotloop` iterations, `hotexit` exits) a loop or
    /// exit must reach to be recorded past the budget: waiting then costs more than
    /// compiling.
    budgetheat: 32,
    /// 1: constants from the module never appear raw in machine code (constant
    /// blinding, against JIT spraying): they are read from a pool in never-executable
    /// memory (x86-64: all of them; AArch64: floats), or appear XORed with a per-trace
    /// random key and are unmasked in a register; 0: raw immediates.
    blind: 1,
    /// 1: use the instruction-set extensions the CPU reports (x86-64: LZCNT, BMI1,
    /// POPCNT, SSE4.1, AVX); 0: the architecture's baseline only (x86-64: SSE2), as the
    /// oldest CPUs run it.
    cpuext: 1,
    /// 1: a trace that ends at a looping root's header jumps into the root's loop body,
    /// past its first iteration, when it can check what the body assumes there (see
    /// `jit::reentry`); 0: links always enter at the top, where the first iteration is a
    /// peeled copy whose exits keep the paths that return to the loop apart from the
    /// loop's own (faster on most trees measured so far).
    bodylink: 0,
}

/// Defines [`JitPreset`] from one table: each preset is one row of values over the
/// tunables above (the ones it does not name keep their defaults), and whether the JIT runs.
macro_rules! jit_presets {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:literal (jit: $on:literal) { $($p:ident: $v:literal),* $(,)? } )*) => {
        /// A named set of JIT tunables for a kind of embedding, applied with
        /// [`crate::Config::jit_preset`] (or `spur run --jit-preset NAME`); tunables set
        /// afterwards with [`crate::Config::jit_param`] override it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum JitPreset {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl JitPreset {
            /// Every preset, in table order.
            pub const ALL: &'static [JitPreset] = &[$( JitPreset::$variant, )*];

            /// The preset's name, as `--jit-preset` takes it.
            pub fn name(self) -> &'static str {
                match self {
                    $( JitPreset::$variant => $name, )*
                }
            }

            /// A one-line description.
            pub fn description(self) -> &'static str {
                match self {
                    $( JitPreset::$variant => concat!($($doc),*), )*
                }
            }

            /// Whether the JIT runs under this preset.
            pub fn jit_enabled(self) -> bool {
                match self {
                    $( JitPreset::$variant => $on, )*
                }
            }

            /// The tunables of this preset's row (defaults where the row is silent).
            pub fn params(self) -> JitParams {
                #[allow(unused_mut, reason = "rows that change nothing")]
                let mut p = JitParams::default();
                match self {
                    $( JitPreset::$variant => { $( p.$p = $v; )* } )*
                }
                p
            }
        }
    };
}

jit_presets! {
    /// The defaults: balanced for programs that run from seconds to minutes.
    Default "default" (jit: true) {}
    /// Short runs that must feel fast: record sooner, and a tighter budget so compiling
    /// never stalls a response.
    Interactive "interactive" (jit: true) {
        hotloop: 16, hotcall: 32, hotexit: 4, budget: 5, budgetms: 2,
    }
    /// Long runs where throughput is all: wait for surer evidence, then record longer
    /// traces and bigger trees, with no limit on compile time.
    Batch "batch" (jit: true) {
        hotloop: 200, hotcall: 400, hotexit: 20, maxrecord: 16000, maxsnap: 1000, maxside: 200,
        maxinline: 24, loopunroll: 30, budget: 100,
    }
    /// Small devices: little machine code and few traces.
    Embedded "embedded" (jit: true) {
        maxrecord: 2000, maxsnap: 200, maxside: 30, maxinline: 8, maxtrace: 256,
        maxmcode: 2048,
    }
    /// The interpreter only.
    None "none" (jit: false) {}
}

impl std::str::FromStr for JitPreset {
    type Err = Error;

    fn from_str(name: &str) -> Result<JitPreset, Error> {
        JitPreset::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = JitPreset::ALL.iter().map(|p| p.name()).collect();
                Error::usage(format!(
                    "unknown JIT preset `{name}` (known: {})",
                    known.join(", ")
                ))
            })
    }
}

impl JitParams {
    /// Rejects settings that cannot work.
    fn check(&self) -> Result<(), Error> {
        if self.hotloop == 0 || self.hotcall == 0 {
            return Err(Error::usage(
                "JIT parameters `hotloop` and `hotcall` must be at least 1",
            ));
        }
        if self.penaltymin > self.penaltymax {
            return Err(Error::usage(
                "JIT parameter `penaltymin` exceeds `penaltymax`",
            ));
        }
        if self.penaltyrnd > 16
            || self.budget > 100
            || self.blind > 1
            || self.cpuext > 1
            || self.bodylink > 1
        {
            return Err(Error::usage("JIT parameter out of range"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_defaults_and_lookup_agree() {
        let p = JitParams::default();
        for &(name, default, doc) in JitParams::TABLE {
            assert_eq!(p.get(name), Some(default), "{name}");
            assert!(!doc.is_empty(), "{name} is undocumented");
        }
        assert_eq!(p.hotloop, 56);
    }

    /// Each preset sets exactly what its row says: the row's values, written out again
    /// here as the table above states them, and the defaults everywhere else.
    #[test]
    fn presets_set_their_rows() {
        type Row = (&'static str, bool, &'static [(&'static str, u32)]);
        let rows: [Row; 5] = [
            ("default", true, &[]),
            (
                "interactive",
                true,
                &[
                    ("hotloop", 16),
                    ("hotcall", 32),
                    ("hotexit", 4),
                    ("budget", 5),
                    ("budgetms", 2),
                ],
            ),
            (
                "batch",
                true,
                &[
                    ("hotloop", 200),
                    ("hotcall", 400),
                    ("hotexit", 20),
                    ("maxrecord", 16000),
                    ("maxsnap", 1000),
                    ("maxside", 200),
                    ("maxinline", 24),
                    ("loopunroll", 30),
                    ("budget", 100),
                ],
            ),
            (
                "embedded",
                true,
                &[
                    ("maxrecord", 2000),
                    ("maxsnap", 200),
                    ("maxside", 30),
                    ("maxinline", 8),
                    ("maxtrace", 256),
                    ("maxmcode", 2048),
                ],
            ),
            ("none", false, &[]),
        ];
        assert_eq!(rows.len(), JitPreset::ALL.len());
        for (name, on, row) in rows {
            let preset: JitPreset = name.parse().unwrap();
            assert_eq!(preset.name(), name);
            assert_eq!(preset.jit_enabled(), on, "{name}");
            let p = preset.params();
            p.check().unwrap();
            for &(param, default, _) in JitParams::TABLE {
                let want = row.iter().find(|r| r.0 == param).map_or(default, |r| r.1);
                assert_eq!(p.get(param), Some(want), "{name}: {param}");
            }
        }
        assert!(
            "fast"
                .parse::<JitPreset>()
                .unwrap_err()
                .to_string()
                .contains("unknown JIT preset `fast` (known: default, interactive")
        );
    }

    #[test]
    fn set_validates() {
        let mut p = JitParams::default();
        p.set("hotloop", 1).unwrap();
        assert_eq!(p.hotloop, 1);
        assert!(p.set("hotloop", 0).is_err());
        assert_eq!(p.hotloop, 1, "a rejected setting leaves the old value");
        assert!(
            p.set("nosuch", 3)
                .unwrap_err()
                .to_string()
                .contains("unknown JIT parameter")
        );
        assert!(p.set("penaltyrnd", 17).is_err());
    }
}
