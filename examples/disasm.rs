//! Prints the slot bytecode of every function of a module:
//! `cargo run --example disasm -- FILE.wasm [FUNC]`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: disasm FILE.wasm [FUNC]")?;
    let mut config = spur::Config::new();
    config.jit(false);
    let engine = spur::Engine::new(&config);
    let module = spur::Module::new(&engine, std::fs::read(path)?)?;
    let imported = module
        .imports()
        .filter(|i| matches!(i.ty(), spur::ExternType::Func(_)))
        .count() as u32;
    let only: Option<u32> = args.get(2).map(|s| s.parse()).transpose()?;
    if let Some(f) = only {
        println!("func {f}:\n{}", module.disassemble(f)?);
        return Ok(());
    }
    for f in imported.. {
        match module.disassemble(f) {
            Ok(text) => println!("func {f}:\n{text}"),
            Err(_) => break,
        }
    }
    Ok(())
}
