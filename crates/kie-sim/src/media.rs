//! The small but real files the simulator serves as generation results: an 8×8 PNG, a minimal
//! ISO-BMFF MP4 (ftyp + moov + mdat) and a few frames of silent MPEG-1 Layer III audio.
//!
//! The bytes are built here by hand so no media dependency or binary fixture is needed. This
//! module must never produce anything a decoder would reject: clients and tests check the
//! signatures, and a file that only looks right would hide download bugs.

use std::sync::LazyLock;

/// What a model's result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `image/png` files.
    Png,
    /// `video/mp4` files.
    Mp4,
    /// `audio/mpeg` files.
    Mp3,
    /// No file: a transcript in `resultObject` (speech-to-text).
    Text,
}

impl MediaKind {
    /// File extension used in result URLs (`None` for text results).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            MediaKind::Png => Some("png"),
            MediaKind::Mp4 => Some("mp4"),
            MediaKind::Mp3 => Some("mp3"),
            MediaKind::Text => None,
        }
    }

    /// The `Content-Type` the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Png => "image/png",
            MediaKind::Mp4 => "video/mp4",
            MediaKind::Mp3 => "audio/mpeg",
            MediaKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The file's bytes (empty for text results).
    pub fn bytes(self) -> &'static [u8] {
        match self {
            MediaKind::Png => &PNG,
            MediaKind::Mp4 => &MP4,
            MediaKind::Mp3 => &MP3,
            MediaKind::Text => &[],
        }
    }
}

static PNG: LazyLock<Vec<u8>> = LazyLock::new(png_8x8);
static MP4: LazyLock<Vec<u8>> = LazyLock::new(mp4_minimal);
static MP3: LazyLock<Vec<u8>> = LazyLock::new(mp3_silence);

/// An 8×8 RGB gradient, zlib-compressed with a single stored (uncompressed) deflate block.
fn png_8x8() -> Vec<u8> {
    const SIDE: u32 = 8;
    let mut raw = Vec::new();
    for y in 0..SIDE {
        raw.push(0); // filter type "None" for this scanline
        for x in 0..SIDE {
            raw.extend([(x * 32) as u8, (y * 32) as u8, 160]);
        }
    }
    let mut zlib = vec![0x78, 0x01]; // deflate, 32K window, no preset dictionary
    zlib.push(0x01); // BFINAL = 1, BTYPE = 00 (stored)
    let len = raw.len() as u16;
    zlib.extend(len.to_le_bytes());
    zlib.extend((!len).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit, truecolour, deflate, adaptive filter, no interlace

    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend(&data);
        png.extend(&crc_input);
        png.extend(crc32(&crc_input).to_be_bytes());
    }
    png
}

/// `ftyp` first (what sniffers look for), a one-second `mvhd` movie header, and an empty `mdat`.
/// It has no tracks: enough for every "is this an MP4" check, not for a player.
fn mp4_minimal() -> Vec<u8> {
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(body);
        b
    }
    let mut ftyp = b"isom".to_vec();
    ftyp.extend(0x200u32.to_be_bytes());
    ftyp.extend(b"isomiso2mp41");

    let mut mvhd = vec![0; 4]; // version 0, no flags
    mvhd.extend(0u32.to_be_bytes()); // creation time
    mvhd.extend(0u32.to_be_bytes()); // modification time
    mvhd.extend(1000u32.to_be_bytes()); // timescale: ms
    mvhd.extend(1000u32.to_be_bytes()); // duration: 1 s
    mvhd.extend(0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend(0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend([0; 10]); // reserved
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend(m.to_be_bytes()); // identity matrix
    }
    mvhd.extend([0; 24]); // pre_defined
    mvhd.extend(1u32.to_be_bytes()); // next_track_ID

    let mut mp4 = boxed(b"ftyp", &ftyp);
    mp4.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    mp4.extend(boxed(b"mdat", &[]));
    mp4
}

/// Ten MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, mono) whose side information is all zero,
/// which decoders play as about a quarter second of silence.
fn mp3_silence() -> Vec<u8> {
    // 144 * bitrate / sample rate, no padding.
    const FRAME_LEN: usize = 144 * 128_000 / 44_100;
    let mut mp3 = Vec::with_capacity(FRAME_LEN * 10);
    for _ in 0..10 {
        let start = mp3.len();
        // Sync + MPEG-1 + Layer III + no CRC; 128 kbit/s, 44.1 kHz; mono, original.
        mp3.extend([0xFF, 0xFB, 0x90, 0xC4]);
        mp3.resize(start + FRAME_LEN, 0);
    }
    mp3
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_spec_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn signatures() {
        assert!(MediaKind::Png.bytes().starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&MediaKind::Mp4.bytes()[4..8], b"ftyp");
        assert_eq!(&MediaKind::Mp3.bytes()[..2], &[0xFF, 0xFB]);
        assert_eq!(MediaKind::Mp3.bytes().len(), 4170);
    }
}
