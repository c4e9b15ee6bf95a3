// SPDX-License-Identifier: GPL-2.0

//! The Linux swap header (`union swap_header` in `include/linux/swap.h`), as
//! written by `mkswap`.
//!
//! Pure logic, no kernel types: the same file is compiled into the module and
//! into the host crate `tools/options-test`, whose `cargo test` runs the unit
//! tests at the bottom.
//!
//! Layout of the first page of the area (`page_size` bytes):
//!
//! | offset            | field                                    |
//! |-------------------|------------------------------------------|
//! | 1024              | `version: u32` (must be 1)               |
//! | 1028              | `last_page: u32`                         |
//! | 1032              | `nr_badpages: u32`                       |
//! | 1036              | `sws_uuid: [u8; 16]`                     |
//! | 1052              | `sws_volume: [u8; 16]`                   |
//! | 1068              | `padding: [u32; 117]`                    |
//! | 1536              | `badpages: [u32; ..]`                    |
//! | `page_size - 10`  | magic, `SWAPSPACE2` (`SWAP-SPACE` = v0)  |
//!
//! The fields are in the writer's byte order. As `read_swap_header()` in
//! `mm/swapfile.c` does, they are read native-endian and, if the version only
//! reads as 1 byte-swapped, every field is byte-swapped.
//!
//! One deliberate difference from the kernel: a device shorter than the area
//! the header describes is not refused but truncated ([`usable_slots()`]);
//! bad pages in the part cut off are then ignored, as the kernel ignores bad
//! pages at or beyond its size limit.

/// Offset of `info` (after the boot block space).
const INFO: usize = 1024;
/// Offset of `info.badpages`.
const BADPAGES: usize = 1536;
/// Length of the magic at the end of the page.
const MAGIC_LEN: usize = 10;
/// The magic of the supported (v1) format.
const MAGIC: &[u8; MAGIC_LEN] = b"SWAPSPACE2";
/// The magic of the old v0 format (a bitmap of good pages), refused.
const OLD_MAGIC: &[u8; MAGIC_LEN] = b"SWAP-SPACE";

/// Fewest slots worth swapping to, besides the header and the bad pages.
pub const MIN_SLOTS: u64 = 16;

/// Why a swap area was refused. Every variant is `EINVAL` for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Less than one page could be read (or `page_size` cannot hold the
    /// header layout).
    ShortRead,
    /// No `SWAPSPACE2` magic.
    NoSignature,
    /// The old v0 format (`SWAP-SPACE`).
    OldFormat,
    /// A version other than 1 (the value as read, native-endian).
    BadVersion(u32),
    /// `last_page` is 0.
    Empty,
    /// `nr_badpages` does not fit in the page.
    TooManyBadPages,
    /// A bad page is 0 (the header) or past `last_page`.
    BadPageOutOfRange,
    /// Fewer than [`MIN_SLOTS`] usable slots.
    TooSmall,
}

impl HeaderError {
    /// The message for the mount error log (NUL-terminated for C).
    pub fn message(self) -> &'static [u8] {
        match self {
            Self::ShortRead => b"swap: device smaller than one page\0",
            Self::NoSignature => b"swap: no swap signature (run mkswap)\0",
            Self::OldFormat => b"swap: old swap format, run mkswap\0",
            Self::BadVersion(_) => b"swap: unsupported swap header version\0",
            Self::Empty => b"swap: swap area is empty\0",
            Self::TooManyBadPages => b"swap: too many bad pages in the swap header\0",
            Self::BadPageOutOfRange => b"swap: bad page beyond the end of the swap area\0",
            Self::TooSmall => b"swap: swap area too small\0",
        }
    }

    /// The positive errno to fail with: `EINVAL` for all, as `swapon()`.
    pub fn errno(self) -> i32 {
        const EINVAL: i32 = 22;
        EINVAL
    }
}

/// A parsed swap header, borrowing the page it was read from.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// Index of the last page of the area (the area is `last_page + 1` pages,
    /// the header page included).
    pub last_page: u32,
    /// Number of entries in the bad page list, as written (may exceed what
    /// fits; [`check()`] refuses that).
    pub nr_badpages: u32,
    /// `sws_uuid`.
    pub uuid: [u8; 16],
    /// `sws_volume`, the label (NUL-padded).
    pub label: [u8; 16],
    /// All of the page's bad page slots (`max_badpages` entries).
    badpages: &'a [u8],
    /// The header is in the opposite byte order.
    swapped: bool,
}

/// Reads the native-endian `u32` at `off`; `None` if it does not fit.
fn read_u32(page: &[u8], off: usize) -> Option<u32> {
    let bytes = page.get(off..off.checked_add(4)?)?;
    let mut raw = [0u8; 4];
    raw.copy_from_slice(bytes);
    Some(u32::from_ne_bytes(raw))
}

/// Reads the 16 bytes at `off`; `None` if they do not fit.
fn read_16(page: &[u8], off: usize) -> Option<[u8; 16]> {
    let bytes = page.get(off..off.checked_add(16)?)?;
    let mut raw = [0u8; 16];
    raw.copy_from_slice(bytes);
    Some(raw)
}

/// Most bad pages a header of `page_size` bytes can list
/// (`MAX_SWAP_BADPAGES`); 0 if the page is too small for the layout.
pub fn max_badpages(page_size: usize) -> usize {
    page_size.saturating_sub(BADPAGES + MAGIC_LEN) / 4
}

/// Parses the first `page_size` bytes of `page` (the first page of the
/// device). Checks the magic and the version; the rest is [`check()`]'s.
pub fn parse(page: &[u8], page_size: usize) -> Result<Header<'_>, HeaderError> {
    if page_size < BADPAGES + MAGIC_LEN {
        return Err(HeaderError::ShortRead);
    }
    let page = page.get(..page_size).ok_or(HeaderError::ShortRead)?;
    let magic = &page[page_size - MAGIC_LEN..];
    if magic == OLD_MAGIC {
        return Err(HeaderError::OldFormat);
    }
    if magic != MAGIC {
        return Err(HeaderError::NoSignature);
    }
    let field = |off| read_u32(page, off).ok_or(HeaderError::ShortRead);
    let version = field(INFO)?;
    let swapped = match version {
        1 => false,
        v if v.swap_bytes() == 1 => true,
        v => return Err(HeaderError::BadVersion(v)),
    };
    let fix = |v: u32| if swapped { v.swap_bytes() } else { v };
    let max = max_badpages(page_size);
    Ok(Header {
        last_page: fix(field(INFO + 4)?),
        nr_badpages: fix(field(INFO + 8)?),
        uuid: read_16(page, INFO + 12).ok_or(HeaderError::ShortRead)?,
        label: read_16(page, INFO + 28).ok_or(HeaderError::ShortRead)?,
        badpages: &page[BADPAGES..BADPAGES + 4 * max],
        swapped,
    })
}

impl Header<'_> {
    /// The bad page list: the first `nr_badpages` entries, at most as many as
    /// fit in the page, in the order written.
    pub fn bad_pages(&self) -> impl Iterator<Item = u32> + '_ {
        let n = usize::try_from(self.nr_badpages).unwrap_or(usize::MAX);
        let swapped = self.swapped;
        self.badpages.chunks_exact(4).take(n).map(move |c| {
            let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            if swapped {
                v.swap_bytes()
            } else {
                v
            }
        })
    }
}

/// Slots of the area on a device of `device_pages` pages: the area the header
/// describes (`last_page + 1` pages), cut to the device. Slot 0 is the header
/// page itself; the caller reserves it.
pub fn usable_slots(h: &Header<'_>, device_pages: u64) -> u64 {
    (u64::from(h.last_page) + 1).min(device_pages)
}

/// Validates a parsed header against the device size and returns the number
/// of slots (as [`usable_slots()`]), header slot and bad pages included.
///
/// A bad page 0 or past `last_page` is an error; one between the end of the
/// device and `last_page` is ignored (the area is truncated there). Bad pages
/// listed twice are counted twice for [`HeaderError::TooSmall`], as the
/// kernel's `setup_swap_map()` does.
pub fn check(h: &Header<'_>, device_pages: u64) -> Result<u64, HeaderError> {
    if h.last_page == 0 {
        return Err(HeaderError::Empty);
    }
    if u64::from(h.nr_badpages) > (h.badpages.len() / 4) as u64 {
        return Err(HeaderError::TooManyBadPages);
    }
    let nr_slots = usable_slots(h, device_pages);
    let mut bad_in_area: u64 = 0;
    for page in h.bad_pages() {
        if page == 0 || page > h.last_page {
            return Err(HeaderError::BadPageOutOfRange);
        }
        if u64::from(page) < nr_slots {
            bad_in_area += 1;
        }
    }
    // Minus the header slot and the bad pages.
    let good = nr_slots.saturating_sub(1).saturating_sub(bad_in_area);
    if good < MIN_SLOTS {
        return Err(HeaderError::TooSmall);
    }
    Ok(nr_slots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    const PS: usize = 4096;
    const UUID: [u8; 16] = *b"0123456789abcdef";

    fn put(page: &mut [u8], off: usize, v: u32, swapped: bool) {
        let v = if swapped { v.swap_bytes() } else { v };
        page[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }

    /// A page as `mkswap` would write it (in the other byte order if `swapped`).
    fn header(version: u32, last_page: u32, bad: &[u32], swapped: bool) -> Vec<u8> {
        let mut page = vec![0u8; PS];
        put(&mut page, INFO, version, swapped);
        put(&mut page, INFO + 4, last_page, swapped);
        put(&mut page, INFO + 8, bad.len() as u32, swapped);
        page[INFO + 12..INFO + 28].copy_from_slice(&UUID);
        page[INFO + 28..INFO + 33].copy_from_slice(b"label");
        for (i, &b) in bad.iter().enumerate() {
            put(&mut page, BADPAGES + 4 * i, b, swapped);
        }
        page[PS - 10..].copy_from_slice(MAGIC);
        page
    }

    fn parse_check(page: &[u8], device_pages: u64) -> Result<u64, HeaderError> {
        check(&parse(page, PS)?, device_pages)
    }

    #[test]
    fn valid() {
        let page = header(1, 1023, &[], false);
        let h = parse(&page, PS).unwrap();
        assert_eq!((h.last_page, h.nr_badpages, h.uuid), (1023, 0, UUID));
        assert_eq!(&h.label[..6], b"label\0");
        assert_eq!(h.bad_pages().count(), 0);
        assert_eq!(check(&h, 1024), Ok(1024));
        assert_eq!(usable_slots(&h, 1024), 1024);
        // A longer buffer is fine: only the first page_size bytes count.
        let mut long = page.clone();
        long.resize(2 * PS, 0xff);
        assert_eq!(parse_check(&long, 1 << 20), Ok(1024));
    }

    #[test]
    fn no_signature() {
        let mut page = header(1, 1023, &[], false);
        page[PS - 10..].copy_from_slice(b"SWAPSPACE3");
        assert_eq!(parse(&page, PS).unwrap_err(), HeaderError::NoSignature);
        assert_eq!(parse(&[0u8; PS], PS).unwrap_err(), HeaderError::NoSignature);
        // The magic is at the end of the page, not at a fixed offset.
        let page = header(1, 1023, &[], false);
        assert_eq!(parse(&page, 8192).unwrap_err(), HeaderError::ShortRead);
        let mut big = page.clone();
        big.resize(8192, 0);
        assert_eq!(parse(&big, 8192).unwrap_err(), HeaderError::NoSignature);
    }

    #[test]
    fn old_format() {
        let mut page = header(1, 1023, &[], false);
        page[PS - 10..].copy_from_slice(OLD_MAGIC);
        assert_eq!(parse(&page, PS).unwrap_err(), HeaderError::OldFormat);
    }

    #[test]
    fn short_read() {
        let page = header(1, 1023, &[], false);
        assert_eq!(parse(&page[..PS - 1], PS).unwrap_err(), HeaderError::ShortRead);
        assert_eq!(parse(&[], PS).unwrap_err(), HeaderError::ShortRead);
        // A page size that cannot hold the layout.
        assert_eq!(parse(&page, 1545).unwrap_err(), HeaderError::ShortRead);
        assert_eq!(parse(&page, 0).unwrap_err(), HeaderError::ShortRead);
        assert_eq!(max_badpages(0), 0);
        assert_eq!(max_badpages(PS), 637);
    }

    #[test]
    fn byte_swapped() {
        let page = header(1, 1023, &[5, 0x304, 7], true);
        let h = parse(&page, PS).unwrap();
        assert_eq!((h.last_page, h.nr_badpages, h.uuid), (1023, 3, UUID));
        assert_eq!(h.bad_pages().collect::<Vec<_>>(), [5, 0x304, 7]);
        assert_eq!(check(&h, 1024), Ok(1024));
    }

    #[test]
    fn bad_version() {
        for v in [0, 2, 0x0200_0000, u32::MAX] {
            let page = header(v, 1023, &[], false);
            assert_eq!(parse(&page, PS).unwrap_err(), HeaderError::BadVersion(v));
        }
    }

    #[test]
    fn empty() {
        let page = header(1, 0, &[], false);
        assert_eq!(parse_check(&page, 1024), Err(HeaderError::Empty));
    }

    #[test]
    fn too_many_bad_pages() {
        let mut page = header(1, 100_000, &[], false);
        put(&mut page, INFO + 8, 638, false);
        let h = parse(&page, PS).unwrap();
        assert_eq!(h.bad_pages().count(), 637, "never read past the list");
        assert_eq!(check(&h, 1 << 20), Err(HeaderError::TooManyBadPages));
        put(&mut page, INFO + 8, u32::MAX, false);
        assert_eq!(parse_check(&page, 1 << 20), Err(HeaderError::TooManyBadPages));
        // Exactly the maximum is fine.
        let bad: Vec<u32> = (1..=637).collect();
        let page = header(1, 100_000, &bad, false);
        assert_eq!(parse_check(&page, 1 << 20), Ok(100_001));
    }

    #[test]
    fn bad_page_out_of_range() {
        let page = header(1, 1023, &[3, 1024], false);
        assert_eq!(parse_check(&page, 1024), Err(HeaderError::BadPageOutOfRange));
        let page = header(1, 1023, &[3, u32::MAX], false);
        assert_eq!(parse_check(&page, 1 << 40), Err(HeaderError::BadPageOutOfRange));
        let page = header(1, 1023, &[1023], false);
        assert_eq!(parse_check(&page, 1024), Ok(1024));
    }

    #[test]
    fn bad_page_zero() {
        let page = header(1, 1023, &[0], false);
        assert_eq!(parse_check(&page, 1024), Err(HeaderError::BadPageOutOfRange));
    }

    #[test]
    fn too_small() {
        // 1 header slot + 16 good slots: just enough.
        assert_eq!(parse_check(&header(1, 16, &[], false), 1 << 20), Ok(17));
        assert_eq!(parse_check(&header(1, 15, &[], false), 1 << 20), Err(HeaderError::TooSmall));
        // A bad page takes one slot away.
        assert_eq!(parse_check(&header(1, 16, &[4], false), 1 << 20), Err(HeaderError::TooSmall));
        assert_eq!(parse_check(&header(1, 17, &[4], false), 1 << 20), Ok(18));
        // The device limits the area too.
        assert_eq!(parse_check(&header(1, 1023, &[], false), 16), Err(HeaderError::TooSmall));
        assert_eq!(parse_check(&header(1, 1023, &[], false), 0), Err(HeaderError::TooSmall));
    }

    #[test]
    fn device_smaller_than_area_truncates() {
        let page = header(1, u32::MAX, &[10, 600, u32::MAX], false);
        let h = parse(&page, PS).unwrap();
        assert_eq!(usable_slots(&h, 500), 500);
        assert_eq!(usable_slots(&h, u64::MAX), 1 << 32);
        // Bad pages past the device are ignored, not errors.
        assert_eq!(check(&h, 500), Ok(500));
        assert_eq!(check(&h, u64::MAX), Ok(1 << 32));
        // Larger device than the area: the area wins.
        let page = header(1, 99, &[], false);
        assert_eq!(parse_check(&page, 1000), Ok(100));
    }

    #[test]
    fn bad_pages_iteration() {
        let bad = [9, 3, 3, 500, 1];
        let h_page = header(1, 1023, &bad, false);
        let h = parse(&h_page, PS).unwrap();
        assert_eq!(h.bad_pages().collect::<Vec<_>>(), bad);
        // A duplicate counts twice for the size check, as in the kernel.
        assert_eq!(check(&h, 1024), Ok(1024));
        // 19 slots - header - 3 listed = 15 (16 distinct would pass).
        let page = header(1, 18, &[3, 3, 4], false);
        assert_eq!(parse_check(&page, 1 << 20), Err(HeaderError::TooSmall));
        let page = header(1, 19, &[3, 3, 4], false);
        assert_eq!(parse_check(&page, 1 << 20), Ok(20));
    }

    #[test]
    fn messages() {
        let all = [
            HeaderError::ShortRead,
            HeaderError::NoSignature,
            HeaderError::OldFormat,
            HeaderError::BadVersion(7),
            HeaderError::Empty,
            HeaderError::TooManyBadPages,
            HeaderError::BadPageOutOfRange,
            HeaderError::TooSmall,
        ];
        for e in all {
            let m = e.message();
            assert!(m.starts_with(b"swap: "), "{e:?}");
            assert_eq!(m.iter().position(|&b| b == 0), Some(m.len() - 1), "{e:?}");
            assert_eq!(e.errno(), 22);
        }
    }
}
