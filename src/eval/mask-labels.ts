/** MFR2's labels.txt: `Name, number, type`, type `no-mask` or a mask such as `surgical_blue`. Pure (the lab reads it too). */
export interface MaskLabel {
  identity: string;
  number: number;
  masked: boolean;
  type: string;
}

/** Parse labels.txt (`Name, number, type`, one per line). Pure. */
export function parseMaskLabels(text: string, file = 'labels.txt'): MaskLabel[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const f = line.split(',').map((s) => s.trim());
    const number = Number(f[1]);
    if (f.length !== 3 || !f[0] || !Number.isInteger(number)) throw new Error(`${file}:${i + 1}: expected "Name, number, type", got "${line}"`);
    return { identity: f[0], number, type: f[2], masked: f[2] !== 'no-mask' };
  });
}
