// CRC-16/CCITT-FALSE (poly 1021h, init FFFFh, no reflection, no final XOR); check value
// for the ASCII bytes "123456789" is 29B1h. Guards the loyalty header block.

export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}
