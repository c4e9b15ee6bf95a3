// SPDX-License-Identifier: GPL-2.0

//! Mount options: `size=`, `nr_inodes=`, `mode=`, `uid=`, `gid=`,
//! `inode32`/`inode64`, `swap=`, `noswap`, `gfp=`.
//!
//! Pure logic, no kernel types: the same file is compiled into the module and
//! into the host crate `tools/options-test`, whose `cargo test` runs the unit
//! tests at the bottom. The semantics are tmpfs's (`shmem_parse_one()`):
//!
//! * `size=` is `memparse()` syntax (decimal, `0x` hex or `0` octal, then an
//!   optional `k`/`m`/`g`/`t`/`p`/`e` suffix) or a percentage of RAM (`N%`),
//!   rounded up to whole pages; `0` means unlimited.
//! * `nr_inodes=` is `memparse()` syntax without `%`; `0` means unlimited.
//! * `mode=` is octal (parsed by the VFS), masked to `07777`.
//! * `uid=`/`gid=` are parsed and mapped by the VFS; they arrive here as
//!   kernel ids.
//! * `inode64` numbers the mount's inodes with 64 bits; `inode32` (the
//!   default, as tmpfs's without `CONFIG_TMPFS_INODE64`) with 32, starting
//!   again at 1 past `u32::MAX` (with a warning). Numbers are the mount's
//!   own, from 1 (the root) up, as tmpfs's `shmem_reserve_inode()`.
//!
//! * `swap=PATH` names a block device prepared by `mkswap` that holds the
//!   mount's own swap area (swap/); `noswap` means none. tmpfs has no such
//!   option (it uses the kernel's swap): the spelling follows `swapon PATH`
//!   and tmpfs's `noswap`. The last of the two given wins.
//!
//! * `gfp=dma32` restricts every regular file of the mount to memory a
//!   32-bit DMA engine can reach (the mapping gfp `GFP_USER | __GFP_DMA32`,
//!   as a driver sets on its shmem file: seed 003); `gfp=default` is the
//!   default, `GFP_HIGHUSER_MOVABLE`. The spelling follows tmpfs's
//!   `mpol=default|...`: a key naming the allocation policy, `default` for
//!   none.
//!
//! On remount only `size=`, `nr_inodes=`, `inode32`/`inode64`, `swap=`
//! (swapon, if the mount has no swap) and `noswap` (swapoff) take effect,
//! as on tmpfs for the first three (`inode32` is refused once a number
//! past `u32::MAX` was given); `gfp=` may be repeated with the mount's own value but not changed
//! (the folios already cached were allocated under the old one).

/// tmpfs charges this much of its inode budget per inode (`BOGO_INODE_SIZE`);
/// `nr_inodes=` larger than `u64::MAX / BOGO_INODE_SIZE` is rejected.
pub const BOGO_INODE_SIZE: u64 = 1024;

/// Default root directory mode: `01777`, like tmpfs.
pub const DEFAULT_MODE: u16 = 0o1777;

/// Which parameter `fs_parse()` matched (the C side's `enum rpc_param`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `size=`
    Size,
    /// `nr_inodes=`
    NrInodes,
    /// `mode=`
    Mode,
    /// `uid=`
    Uid,
    /// `gid=`
    Gid,
    /// `swap=`
    Swap,
    /// `noswap`
    NoSwap,
    /// `gfp=`
    Gfp,
    /// `inode32`
    Inode32,
    /// `inode64`
    Inode64,
}

impl Param {
    /// Maps `enum rpc_param` from `helpers.h`.
    pub fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => Self::Size,
            1 => Self::NrInodes,
            2 => Self::Mode,
            3 => Self::Uid,
            4 => Self::Gid,
            5 => Self::Swap,
            6 => Self::NoSwap,
            7 => Self::Gfp,
            8 => Self::Inode32,
            9 => Self::Inode64,
            _ => return None,
        })
    }
}

/// A parameter value the filesystem refuses (the caller reports
/// "Bad value for '<key>'" through the fs_context log and fails with EINVAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadValue;

/// Options given to one mount or remount; `None` means "not given".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// Block limit in pages (`0` = unlimited).
    pub blocks: Option<u64>,
    /// Inode limit (`0` = unlimited).
    pub inodes: Option<u64>,
    /// Root directory permission bits.
    pub mode: Option<u16>,
    /// Root directory owner, as a kernel uid.
    pub uid: Option<u32>,
    /// Root directory group, as a kernel gid.
    pub gid: Option<u32>,
    /// `swap=PATH` or `noswap`.
    pub swap: Option<SwapOption>,
    /// `gfp=`.
    pub gfp: Option<Zones>,
    /// `inode64` (true) or `inode32` (false).
    pub inode64: Option<bool>,
}

/// Where the folios of a mount's regular files may come from (`gfp=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zones {
    /// `gfp=default`: any zone (`GFP_HIGHUSER_MOVABLE`).
    #[default]
    Any,
    /// `gfp=dma32`: `ZONE_DMA32` and below, i.e. below 4 GiB
    /// (`GFP_USER | __GFP_DMA32`).
    Dma32,
}

impl Zones {
    /// `gfp=`'s value.
    pub fn parse(s: &[u8]) -> Result<Self, BadValue> {
        match s {
            b"default" => Ok(Zones::Any),
            b"dma32" => Ok(Zones::Dma32),
            _ => Err(BadValue),
        }
    }

    /// What `show_options` prints (nothing for the default).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Zones::Any => None,
            Zones::Dma32 => Some("dma32"),
        }
    }
}

/// Longest `swap=` path accepted (bytes, without the NUL).
pub const SWAP_PATH_MAX: usize = 255;

/// What `swap=` or `noswap` asked for. (The path inline keeps the options
/// `Copy`; they live only for one mount call.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum SwapOption {
    /// `noswap`: no swap area (on remount: swapoff).
    Off,
    /// `swap=PATH`: the block device at `PATH`.
    Device(SwapPath),
}

/// A `swap=` path, NUL-terminated in place (so the kernel can take it as a
/// C string) and small enough to keep the options `Copy`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SwapPath {
    len: usize,
    bytes: [u8; SWAP_PATH_MAX + 1],
}

impl SwapPath {
    /// A path of 1 to [`SWAP_PATH_MAX`] bytes without NUL.
    pub fn new(path: &[u8]) -> Result<Self, BadValue> {
        if path.is_empty() || path.len() > SWAP_PATH_MAX || path.contains(&0) {
            return Err(BadValue);
        }
        let mut bytes = [0u8; SWAP_PATH_MAX + 1];
        bytes[..path.len()].copy_from_slice(path);
        Ok(SwapPath { len: path.len(), bytes })
    }

    /// The path without its NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The path with its NUL.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.bytes[..self.len + 1]
    }
}

impl core::fmt::Debug for SwapPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SwapPath(")?;
        for &b in self.as_bytes() {
            f.write_fmt(format_args!("{}", b as char))?;
        }
        f.write_str(")")
    }
}

/// What the machine looks like, for defaults and `%` sizes.
#[derive(Clone, Copy, Debug)]
pub struct Machine {
    /// `totalram_pages()`.
    pub totalram_pages: u64,
    /// `PAGE_SHIFT`.
    pub page_shift: u32,
}

impl Machine {
    /// tmpfs's default size: half of RAM (`shmem_default_max_blocks()`).
    pub fn default_max_blocks(&self) -> u64 {
        self.totalram_pages / 2
    }

    /// tmpfs's default inode limit (`shmem_default_max_inodes()`, no highmem).
    pub fn default_max_inodes(&self) -> u64 {
        (self.totalram_pages / 2).min(u64::MAX / BOGO_INODE_SIZE)
    }
}

impl MountOptions {
    /// Applies one parameter. `string` is set for `size`/`nr_inodes`, `num`
    /// for the others. On error nothing is changed.
    pub fn apply(
        &mut self,
        param: Param,
        string: Option<&[u8]>,
        num: u32,
        machine: &Machine,
    ) -> Result<(), BadValue> {
        match param {
            Param::Size => self.blocks = Some(parse_size(string.ok_or(BadValue)?, machine)?),
            Param::NrInodes => self.inodes = Some(parse_nr_inodes(string.ok_or(BadValue)?)?),
            // Like tmpfs (`result.uint_32 & 07777`): higher bits are ignored.
            Param::Mode => self.mode = Some((num & 0o7777) as u16),
            Param::Uid => self.uid = Some(num),
            Param::Gid => self.gid = Some(num),
            Param::Swap => self.swap = Some(SwapOption::Device(SwapPath::new(string.ok_or(BadValue)?)?)),
            Param::NoSwap => self.swap = Some(SwapOption::Off),
            Param::Gfp => self.gfp = Some(Zones::parse(string.ok_or(BadValue)?)?),
            Param::Inode32 => self.inode64 = Some(false),
            Param::Inode64 => self.inode64 = Some(true),
        }
        Ok(())
    }
}

/// The kernel's `simple_strtoull(s, &end, 0)`: returns the value and the
/// unparsed rest. No sign, no whitespace; overflow wraps as in C.
fn simple_strtoull(s: &[u8]) -> (u64, &[u8]) {
    let (base, mut rest) = match s {
        [b'0', x, d, ..] if x.eq_ignore_ascii_case(&b'x') && d.is_ascii_hexdigit() => (16, &s[2..]),
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let mut value: u64 = 0;
    while let Some((&c, tail)) = rest.split_first() {
        let digit = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'f' => u64::from(c - b'a' + 10),
            b'A'..=b'F' => u64::from(c - b'A' + 10),
            _ => break,
        };
        if digit >= base {
            break;
        }
        value = value.wrapping_mul(base).wrapping_add(digit);
        rest = tail;
    }
    (value, rest)
}

/// The kernel's `memparse()`: a number with an optional binary suffix.
pub fn memparse(s: &[u8]) -> (u64, &[u8]) {
    let (mut value, rest) = simple_strtoull(s);
    let shift = match rest.first().map(u8::to_ascii_lowercase) {
        Some(b'e') => 60,
        Some(b'p') => 50,
        Some(b't') => 40,
        Some(b'g') => 30,
        Some(b'm') => 20,
        Some(b'k') => 10,
        _ => return (value, rest),
    };
    value = value.wrapping_shl(shift);
    (value, &rest[1..])
}

/// `size=`: bytes (with suffix) or `N%` of RAM, as a number of pages.
pub fn parse_size(s: &[u8], machine: &Machine) -> Result<u64, BadValue> {
    if s.is_empty() {
        return Err(BadValue);
    }
    let (mut size, mut rest) = memparse(s);
    if let [b'%', tail @ ..] = rest {
        // As shmem_parse_one(): pages of RAM, in bytes, times N / 100.
        size = (size << machine.page_shift).wrapping_mul(machine.totalram_pages) / 100;
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(BadValue);
    }
    Ok(size.div_ceil(1u64 << machine.page_shift))
}

/// `nr_inodes=`: a count (with suffix).
pub fn parse_nr_inodes(s: &[u8]) -> Result<u64, BadValue> {
    if s.is_empty() {
        return Err(BadValue);
    }
    let (inodes, rest) = memparse(s);
    if !rest.is_empty() || inodes > u64::MAX / BOGO_INODE_SIZE {
        return Err(BadValue);
    }
    Ok(inodes)
}

/// Why a remount was refused; the text is what `mount` shows, as tmpfs's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemountError {
    /// Limiting an unlimited size.
    RetroactiveSize,
    /// New size below the blocks in use.
    SizeTooSmall,
    /// Limiting an unlimited inode count.
    RetroactiveInodes,
    /// New limit below the inodes in use.
    TooFewInodes,
    /// A `gfp=` other than the mount's.
    GfpChange,
    /// `inode32` after a number past `u32::MAX` was given.
    InumsTooHigh,
}

impl RemountError {
    /// The message for the fs_context log (NUL-terminated for C).
    pub fn message(self) -> &'static [u8] {
        match self {
            Self::RetroactiveSize => b"Cannot retroactively limit size\0",
            Self::SizeTooSmall => b"Too small a size for current use\0",
            Self::RetroactiveInodes => b"Cannot retroactively limit inodes\0",
            Self::TooFewInodes => b"Too few inodes for current use\0",
            Self::GfpChange => b"gfp= cannot be changed by remount\0",
            Self::InumsTooHigh => b"Current inum too high to switch to 32-bit inums\0",
        }
    }
}

impl MountOptions {
    /// A remount may repeat what is fixed at mount (`gfp=`), not change it.
    pub fn check_fixed(&self, zones: Zones) -> Result<(), RemountError> {
        match self.gfp {
            Some(z) if z != zones => Err(RemountError::GfpChange),
            _ => Ok(()),
        }
    }
}

/// Space accounting of one mounted instance (`0` limits mean unlimited).
///
/// The inode budget is in bytes, as tmpfs's `free_ispace` (7.3): each
/// inode or extra hard link costs [`BOGO_INODE_SIZE`], and extended
/// attributes take their [`xattr_space`] from the same budget, so that a
/// mount with `nr_inodes=` cannot be filled with xattrs (unlimited when
/// `max_inodes` is 0). `statfs` shows `f_ffree` as what is left divided by
/// `BOGO_INODE_SIZE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Block limit in pages.
    pub max_blocks: u64,
    /// Pages in use.
    pub used_blocks: u64,
    /// Inode limit.
    pub max_inodes: u64,
    /// Bytes of the inode budget in use: inodes (hard links count, as on
    /// tmpfs) and extended attributes. Counted also when unlimited, so
    /// that a remount from a limit to none and back gives back exactly
    /// what was taken.
    pub used_ispace: u64,
    /// The next inode number to give (0 before the first: see
    /// [`Usage::next_ino`]).
    pub next_ino: u64,
    /// `inode64`: numbers are not folded into 32 bits.
    pub inode64: bool,
}

/// The inode budget an extended attribute takes (`simple_xattr_space()`):
/// 40 bytes of bookkeeping, the value and the full name.
pub fn xattr_space(name_len: usize, value_len: usize) -> u64 {
    40 + name_len as u64 + value_len as u64
}

impl Usage {
    /// Takes `n` blocks; `false` (nothing taken) if that would pass the limit.
    pub fn take_blocks(&mut self, n: u64) -> bool {
        if self.max_blocks != 0 && self.used_blocks + n > self.max_blocks {
            return false;
        }
        self.used_blocks += n;
        true
    }

    /// Gives back `n` blocks.
    pub fn put_blocks(&mut self, n: u64) {
        debug_assert!(n <= self.used_blocks);
        self.used_blocks -= n.min(self.used_blocks);
    }

    /// Takes `bytes` of the inode budget; `false` (nothing taken) if that
    /// would pass `nr_inodes=`.
    pub fn take_ispace(&mut self, bytes: u64) -> bool {
        if self.max_inodes != 0 && self.used_ispace + bytes > self.max_inodes * BOGO_INODE_SIZE {
            return false;
        }
        self.used_ispace += bytes;
        true
    }

    /// Gives back `bytes` of the inode budget.
    pub fn put_ispace(&mut self, bytes: u64) {
        debug_assert!(bytes <= self.used_ispace);
        self.used_ispace -= bytes.min(self.used_ispace);
    }

    /// Takes one inode; `false` if the limit is reached.
    pub fn take_inode(&mut self) -> bool {
        self.take_ispace(BOGO_INODE_SIZE)
    }

    /// Gives back one inode.
    pub fn put_inode(&mut self) {
        self.put_ispace(BOGO_INODE_SIZE);
    }

    /// A new inode's number, and whether `inode32` just started again at 1
    /// (`shmem_reserve_inode()`: 0 is never given, and past `u32::MAX`
    /// without `inode64` numbering starts again, as `get_next_ino()`
    /// wraps).
    pub fn next_ino(&mut self) -> (u64, bool) {
        let mut ino = self.next_ino.max(1);
        let mut wrapped = false;
        if !self.inode64 && ino > u64::from(u32::MAX) {
            ino = 1;
            wrapped = true;
        }
        self.next_ino = ino.wrapping_add(1).max(1);
        (ino, wrapped)
    }

    /// `(f_files, f_ffree)` for `statfs`, as tmpfs: 0 and 0 when unlimited.
    pub fn files(&self) -> (u64, u64) {
        if self.max_inodes == 0 {
            return (0, 0);
        }
        let budget = self.max_inodes * BOGO_INODE_SIZE;
        (self.max_inodes, budget.saturating_sub(self.used_ispace) / BOGO_INODE_SIZE)
    }

    /// Applies a remount's limits, or refuses them leaving `self` unchanged
    /// (`shmem_reconfigure()`).
    pub fn reconfigure(&mut self, opts: &MountOptions) -> Result<(), RemountError> {
        if let Some(blocks) = opts.blocks.filter(|&b| b != 0) {
            if self.max_blocks == 0 {
                return Err(RemountError::RetroactiveSize);
            }
            if self.used_blocks > blocks {
                return Err(RemountError::SizeTooSmall);
            }
        }
        if let Some(inodes) = opts.inodes.filter(|&i| i != 0) {
            if self.max_inodes == 0 {
                return Err(RemountError::RetroactiveInodes);
            }
            if self.used_ispace > inodes * BOGO_INODE_SIZE {
                return Err(RemountError::TooFewInodes);
            }
        }
        if opts.inode64 == Some(false) && self.next_ino > u64::from(u32::MAX) {
            return Err(RemountError::InumsTooHigh);
        }
        if let Some(inode64) = opts.inode64 {
            self.inode64 = inode64;
        }
        if let Some(blocks) = opts.blocks {
            self.max_blocks = blocks;
        }
        if let Some(inodes) = opts.inodes {
            self.max_inodes = inodes;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inode_numbers_start_at_1_and_fold_without_inode64() {
        let mut u = Usage::default();
        assert_eq!(u.next_ino(), (1, false));
        assert_eq!(u.next_ino(), (2, false));
        u.next_ino = u64::from(u32::MAX);
        assert_eq!(u.next_ino(), (u64::from(u32::MAX), false));
        assert_eq!(u.next_ino(), (1, true));
        assert_eq!(u.next_ino(), (2, false));
        u.inode64 = true;
        u.next_ino = u64::from(u32::MAX) + 1;
        assert_eq!(u.next_ino(), (u64::from(u32::MAX) + 1, false));
        u.next_ino = u64::MAX;
        assert_eq!(u.next_ino(), (u64::MAX, false));
        // 0 is never given.
        assert_eq!(u.next_ino(), (1, false));
    }

    #[test]
    fn inode32_remount_is_refused_past_u32_numbers() {
        let mut u = Usage { next_ino: 10, ..Usage::default() };
        let to64 = MountOptions { inode64: Some(true), ..Default::default() };
        let to32 = MountOptions { inode64: Some(false), ..Default::default() };
        assert_eq!(u.reconfigure(&to64), Ok(()));
        assert!(u.inode64);
        u.next_ino = u64::from(u32::MAX) + 2;
        assert_eq!(u.reconfigure(&to32), Err(RemountError::InumsTooHigh));
        assert!(u.inode64);
        u.next_ino = u64::from(u32::MAX);
        assert_eq!(u.reconfigure(&to32), Ok(()));
        assert!(!u.inode64);
    }

    #[test]
    fn inode32_and_inode64_parse() {
        let mut o = MountOptions::default();
        o.apply(Param::from_raw(9).unwrap(), None, 0, &M).unwrap();
        assert_eq!(o.inode64, Some(true));
        o.apply(Param::from_raw(8).unwrap(), None, 0, &M).unwrap();
        assert_eq!(o.inode64, Some(false));
    }

    const M: Machine = Machine { totalram_pages: 524_288, page_shift: 12 }; // 2 GiB

    #[test]
    fn memparse_bases_and_suffixes() {
        assert_eq!(memparse(b"123"), (123, &b""[..]));
        assert_eq!(memparse(b"0x10"), (16, &b""[..]));
        assert_eq!(memparse(b"010"), (8, &b""[..]));
        assert_eq!(memparse(b"0x"), (0, &b"x"[..]));
        assert_eq!(memparse(b"4k"), (4096, &b""[..]));
        assert_eq!(memparse(b"2M"), (2 << 20, &b""[..]));
        assert_eq!(memparse(b"1g"), (1 << 30, &b""[..]));
        assert_eq!(memparse(b"1t"), (1 << 40, &b""[..]));
        assert_eq!(memparse(b"1p"), (1 << 50, &b""[..]));
        assert_eq!(memparse(b"1e"), (1 << 60, &b""[..]));
        assert_eq!(memparse(b"10q"), (10, &b"q"[..]));
        assert_eq!(memparse(b"-1"), (0, &b"-1"[..]));
        assert_eq!(memparse(b"09"), (0, &b"9"[..]));
    }

    #[test]
    fn size_in_pages_rounds_up() {
        assert_eq!(parse_size(b"0", &M), Ok(0));
        assert_eq!(parse_size(b"1", &M), Ok(1));
        assert_eq!(parse_size(b"1000", &M), Ok(1));
        assert_eq!(parse_size(b"4096", &M), Ok(1));
        assert_eq!(parse_size(b"4097", &M), Ok(2));
        assert_eq!(parse_size(b"1m", &M), Ok(256));
        assert_eq!(parse_size(b"1e", &M), Ok(1 << 48));
    }

    #[test]
    fn size_percent_of_ram() {
        assert_eq!(parse_size(b"50%", &M), Ok(M.totalram_pages / 2));
        assert_eq!(parse_size(b"100%", &M), Ok(M.totalram_pages));
        assert_eq!(parse_size(b"200%", &M), Ok(2 * M.totalram_pages));
        assert_eq!(parse_size(b"0%", &M), Ok(0));
        // As on tmpfs: a bare "%" is memparse("") = 0 percent, i.e. unlimited.
        assert_eq!(parse_size(b"%", &M), Ok(0));
    }

    #[test]
    fn bad_sizes() {
        for bad in [&b""[..], b"abc", b"10q", b"-1", b"10%x", b"1k%k", b" 1", b"1 "] {
            assert_eq!(parse_size(bad, &M), Err(BadValue), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn nr_inodes() {
        assert_eq!(parse_nr_inodes(b"0"), Ok(0));
        assert_eq!(parse_nr_inodes(b"16"), Ok(16));
        assert_eq!(parse_nr_inodes(b"1k"), Ok(1024));
        assert_eq!(parse_nr_inodes(b"1t"), Ok(1 << 40));
        for bad in [&b""[..], b"xyz", b"-1", b"10%", b"1e"] {
            assert_eq!(parse_nr_inodes(bad), Err(BadValue), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn apply_sets_only_the_given_option() {
        let mut o = MountOptions::default();
        o.apply(Param::Mode, None, 0o17777, &M).unwrap();
        assert_eq!(o.mode, Some(0o7777));
        assert_eq!(o.apply(Param::Size, Some(b"12x"), 0, &M), Err(BadValue));
        assert_eq!(o.blocks, None);
        o.apply(Param::Size, Some(b"8k"), 0, &M).unwrap();
        o.apply(Param::Uid, None, 1000, &M).unwrap();
        assert_eq!(o, MountOptions { blocks: Some(2), mode: Some(0o7777), uid: Some(1000), ..Default::default() });
        assert_eq!(Param::from_raw(10), None);
        assert_eq!(Param::from_raw(1), Some(Param::NrInodes));
    }

    #[test]
    fn limits_are_enforced_exactly() {
        let mut u = Usage { max_blocks: 2, max_inodes: 1, ..Default::default() };
        assert!(u.take_blocks(2));
        assert!(!u.take_blocks(1));
        u.put_blocks(1);
        assert!(u.take_blocks(1));
        assert!(u.take_inode());
        assert!(!u.take_inode());
        u.put_inode();
        assert!(u.take_inode());
        let mut unlimited = Usage::default();
        assert!(unlimited.take_blocks(1 << 40) && unlimited.take_inode());
        assert!(unlimited.take_ispace(1 << 40));
        assert_eq!(unlimited.files(), (0, 0));
    }

    #[test]
    fn xattrs_share_the_inode_budget() {
        // shmem: nr_inodes=2 is 2048 bytes; an inode takes 1024.
        let mut u = Usage { max_inodes: 2, ..Default::default() };
        assert!(u.take_inode());
        assert_eq!(u.files(), (2, 1));
        let x = xattr_space(b"user.a".len(), 600);
        assert_eq!(x, 646);
        assert!(u.take_ispace(x));
        // 1670 of 2048 bytes used: no room for a second inode, and statfs
        // shows no free inode (rounded down).
        assert_eq!(u.files(), (2, 0));
        assert!(!u.take_inode());
        assert!(!u.take_ispace(379), "one byte past the budget");
        assert!(u.take_ispace(378));
        u.put_ispace(378);
        u.put_ispace(x);
        assert!(u.take_inode());
        assert_eq!(u.files(), (2, 0));
    }

    #[test]
    fn remount_rules_match_tmpfs() {
        let used = Usage { max_blocks: 10, used_blocks: 5, max_inodes: 10, used_ispace: 5 * BOGO_INODE_SIZE, ..Usage::default() };
        let opts = |blocks, inodes| MountOptions { blocks, inodes, ..Default::default() };

        let mut u = used;
        assert_eq!(u.reconfigure(&opts(Some(4), None)), Err(RemountError::SizeTooSmall));
        assert_eq!(u.reconfigure(&opts(None, Some(4))), Err(RemountError::TooFewInodes));
        assert_eq!(u, used, "a refused remount changes nothing");
        assert_eq!(u.reconfigure(&opts(Some(5), Some(5))), Ok(()));
        assert_eq!((u.max_blocks, u.max_inodes), (5, 5));
        assert_eq!(u.reconfigure(&opts(Some(0), Some(0))), Ok(()));
        assert_eq!((u.max_blocks, u.max_inodes), (0, 0));
        assert_eq!(u.reconfigure(&opts(Some(100), None)), Err(RemountError::RetroactiveSize));
        assert_eq!(u.reconfigure(&opts(None, Some(100))), Err(RemountError::RetroactiveInodes));
        // mode/uid/gid are ignored on remount.
        let mut v = used;
        let other = MountOptions { mode: Some(0), uid: Some(1), gid: Some(1), ..Default::default() };
        assert_eq!(v.reconfigure(&other), Ok(()));
        assert_eq!(v, used);
    }

    #[test]
    fn swap_and_noswap() {
        let mut o = MountOptions::default();
        o.apply(Param::Swap, Some(b"/dev/vdb"), 0, &M).unwrap();
        match o.swap {
            Some(SwapOption::Device(p)) => {
                assert_eq!(p.as_bytes(), b"/dev/vdb");
                assert_eq!(p.as_bytes_with_nul(), b"/dev/vdb\0");
            }
            other => panic!("{:?}", other),
        }
        // The last one given wins.
        o.apply(Param::NoSwap, None, 0, &M).unwrap();
        assert_eq!(o.swap, Some(SwapOption::Off));
        // Bad paths change nothing.
        assert_eq!(o.apply(Param::Swap, Some(b""), 0, &M), Err(BadValue));
        assert_eq!(o.apply(Param::Swap, Some(b"/dev/a\0b"), 0, &M), Err(BadValue));
        let long = [b'a'; SWAP_PATH_MAX + 1];
        assert_eq!(o.apply(Param::Swap, Some(&long), 0, &M), Err(BadValue));
        assert!(o.apply(Param::Swap, Some(&long[..SWAP_PATH_MAX]), 0, &M).is_ok());
        assert_eq!(o.apply(Param::Swap, None, 0, &M), Err(BadValue));
        assert_eq!(Param::from_raw(5), Some(Param::Swap));
        assert_eq!(Param::from_raw(6), Some(Param::NoSwap));
    }

    #[test]
    fn gfp_values_and_remount() {
        let mut o = MountOptions::default();
        assert_eq!(Param::from_raw(7), Some(Param::Gfp));
        o.apply(Param::Gfp, Some(b"dma32"), 0, &M).unwrap();
        assert_eq!(o.gfp, Some(Zones::Dma32));
        o.apply(Param::Gfp, Some(b"default"), 0, &M).unwrap();
        assert_eq!(o.gfp, Some(Zones::Any));
        for bad in [&b""[..], b"DMA32", b"dma", b"dma32 ", b"normal", b"highmem"] {
            assert_eq!(o.apply(Param::Gfp, Some(bad), 0, &M), Err(BadValue), "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(o.apply(Param::Gfp, None, 0, &M), Err(BadValue));
        assert_eq!(o.gfp, Some(Zones::Any), "a bad value changes nothing");
        assert_eq!(Zones::Dma32.name(), Some("dma32"));
        assert_eq!(Zones::Any.name(), None);

        // Remount: the mount's own value again is fine, another one is refused.
        let same = MountOptions { gfp: Some(Zones::Dma32), blocks: Some(8), ..Default::default() };
        assert_eq!(same.check_fixed(Zones::Dma32), Ok(()));
        assert_eq!(same.check_fixed(Zones::Any), Err(RemountError::GfpChange));
        let default = MountOptions { gfp: Some(Zones::Any), ..Default::default() };
        assert_eq!(default.check_fixed(Zones::Any), Ok(()));
        assert_eq!(default.check_fixed(Zones::Dma32), Err(RemountError::GfpChange));
        assert_eq!(MountOptions::default().check_fixed(Zones::Dma32), Ok(()));
        assert_eq!(RemountError::GfpChange.message(), b"gfp= cannot be changed by remount\0");
    }
}
