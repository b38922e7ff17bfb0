// The size and EXIF orientation of a JPEG, read from its header bytes. Choosing the decode size needs
// both before decoding; asking libvips for them costs a second pass over the file per image, which
// at 500×375 is about a tenth of the whole per-image budget. Anything unexpected returns null and the
// caller asks libvips instead, so this only ever has to be right, never complete.

export interface JpegHeader {
  /** Stored (unrotated) size. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
}

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
const APP1 = 0xe1;
const EXIF_ORIENTATION_TAG = 0x0112;

/** SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return null;
  let orientation = 1;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) return null; // no frame header before the image data
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const body = offset + 4;
    const end = offset + 2 + length;
    if (length < 2 || end > bytes.length) return null;
    if (marker === APP1) orientation = exifOrientation(bytes, body, end) ?? orientation;
    else if (isStartOfFrame(marker)) {
      if (length < 7) return null;
      const height = (bytes[body + 1] << 8) | bytes[body + 2];
      const width = (bytes[body + 3] << 8) | bytes[body + 4];
      // Height 0 means "defined later by a DNL marker": rare, and libvips knows how to read it.
      if (width === 0 || height === 0) return null;
      return { width, height, orientation };
    }
    offset = end;
  }
  return null;
}

/** The orientation tag of IFD0 in an APP1 "Exif\0\0" segment, or null when the segment has none. */
function exifOrientation(bytes: Uint8Array, start: number, end: number): number | null {
  const exifMagic = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (end - start < 14 || exifMagic.some((b, i) => bytes[start + i] !== b)) return null;
  const tiff = start + 6;
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  const big = bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d;
  if (!little && !big) return null;
  const u16 = (at: number) => (little ? bytes[at] | (bytes[at + 1] << 8) : (bytes[at] << 8) | bytes[at + 1]);
  const u32 = (at: number) => (little ? (u16(at) | (u16(at + 2) << 16)) >>> 0 : ((u16(at) << 16) | u16(at + 2)) >>> 0);
  if (u16(tiff + 2) !== 42) return null;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return null;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return null;
    if (u16(entry) !== EXIF_ORIENTATION_TAG) continue;
    const value = u16(entry + 8); // type SHORT, count 1: the value sits in the first two bytes of the field
    return value >= 1 && value <= 8 ? value : null;
  }
  return null;
}
