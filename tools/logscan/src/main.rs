//! `logscan FILE...`: report the kernel splats in kernel logs.
//!
//! Reads each FILE (or standard input, for `-` or when no file is given),
//! prints every splat found as
//!
//! ```text
//! logscan: <file>:<line>: <kind>: <first line>
//!     <context line>
//!     ...
//! ```
//!
//! then `logscan: N splat(s) in <file>` or `logscan: clean: <file>`.
//! Exit status: 0 if every log is clean, 1 if any splat was found, 2 on a
//! usage or I/O error. See the library documentation for the rules.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
usage: logscan [FILE...]
Report the kernel splats (BUG, WARNING, KASAN, lockdep, kmemleak, oops,
panic, hung task, ...) in kernel logs: dmesg or serial console output.
Reads standard input when FILE is '-' or no FILE is given.
Exit status: 0 if clean, 1 if any splat was found, 2 on usage or I/O error.";

/// Where a log comes from.
enum Input {
    Stdin,
    File(OsString),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(path) => Path::new(path).display().to_string(),
        }
    }

    fn read(&self) -> io::Result<String> {
        let bytes = match self {
            Input::Stdin => {
                let mut buf = Vec::new();
                io::stdin().lock().read_to_end(&mut buf)?;
                buf
            }
            Input::File(path) => fs::read(path)?,
        };
        // Serial consoles can emit stray non-UTF-8 bytes: keep going.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Parse the command line: the inputs, or the exit code to stop with.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Vec<Input>, ExitCode> {
    let mut inputs = Vec::new();
    let mut options_done = false;
    for arg in args {
        let text = arg.to_str();
        if options_done {
            inputs.push(Input::File(arg));
            continue;
        }
        match text {
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return Err(ExitCode::SUCCESS);
            }
            Some("--") => options_done = true,
            Some("-") => inputs.push(Input::Stdin),
            Some(option) if option.starts_with('-') => {
                eprintln!("logscan: unknown option '{option}'\n{USAGE}");
                return Err(ExitCode::from(2));
            }
            _ => inputs.push(Input::File(arg)),
        }
    }
    if inputs.is_empty() {
        inputs.push(Input::Stdin);
    }
    Ok(inputs)
}

/// Print the splats of one log; returns how many there were.
fn report(out: &mut impl Write, name: &str, log: &str) -> io::Result<usize> {
    let splats = logscan::scan(log);
    for splat in &splats {
        writeln!(
            out,
            "logscan: {name}:{}: {}: {}",
            splat.line_no, splat.kind, splat.first_line
        )?;
        for line in &splat.context {
            if line.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "    {line}")?;
            }
        }
    }
    match splats.len() {
        0 => writeln!(out, "logscan: clean: {name}")?,
        n => writeln!(out, "logscan: {n} splat(s) in {name}")?,
    }
    Ok(splats.len())
}

fn main() -> ExitCode {
    let inputs = match parse_args(std::env::args_os().skip(1)) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut found = false;
    for input in &inputs {
        let name = input.name();
        let log = match input.read() {
            Ok(log) => log,
            Err(err) => {
                // Keep what was printed so far in order with the error.
                let _ = out.flush();
                eprintln!("logscan: {name}: {err}");
                failed = true;
                continue;
            }
        };
        match report(&mut out, &name, &log) {
            Ok(n) => found |= n > 0,
            Err(err) => {
                eprintln!("logscan: writing the report: {err}");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(err) = out.flush() {
        eprintln!("logscan: writing the report: {err}");
        return ExitCode::from(2);
    }
    if failed {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
