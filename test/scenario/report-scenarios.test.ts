/**
 * src/report/scenarios.ts on its own: the check report of a real-image scenario
 * whose image records no e820 checksum (a 3.10 image) and of a modelled one.
 */
import { describe, expect, it } from 'vitest';
import { type ScenarioCheck, scenarioCheckJson, scenarioCheckText } from '../../src/report/scenarios.js';

const resume = {
  profile: 'linux-3.10',
  source: 'qemu.log',
  origin: 'dmesg',
  firmwareEntries: 7,
  kernelEntries: 8,
  crc32: 0x1a2b,
  ramPages: 131000,
};

describe('scenarios check report', () => {
  it('a real image without an e820 checksum: no CRC in the suspend line, null in JSON', () => {
    const c: ScenarioCheck = {
      file: 'x.yaml',
      name: 'x',
      profile: 'linux-3.10',
      expect: null,
      scenario: {},
      suspend: null,
      resume,
      image: {
        path: 'a.img',
        format: 'linux-3.10',
        compressor: 'lzo',
        flags: null,
        nrCopyPages: 10,
        nrMetaPages: 1,
        nrZeroPages: null,
        pages: 12,
        numPhyspages: 131000,
        e820Checksum: null,
      },
    };
    const t = scenarioCheckText(c).split('\n');
    expect(t[0]).toBe("x.yaml: scenario 'x' is valid (real image, expect -)");
    expect(t[1]).toBe('  suspend: the real image a.img: linux-3.10; lzo, 10 image pages, 12 pages in all');
    expect(t[2]).toContain('e820 CRC32 0x00001a2b, 131000 RAM pages');
    const j = JSON.parse(scenarioCheckJson(c));
    expect(j.boots.suspend).toBeNull();
    expect(j.image.e820Checksum).toBeNull();
    expect(j.boots.resume.crc32).toBe('0x00001a2b');
  });

  it('a modelled scenario: both boots, no image key', () => {
    const c: ScenarioCheck = {
      file: 'y.yaml',
      name: 'y',
      profile: 'linux-6.12',
      expect: 'resumed',
      scenario: {},
      suspend: resume,
      resume,
    };
    expect(scenarioCheckText(c).split('\n')[1]).toMatch(/^ {2}suspend: linux-3.10, qemu.log \(dmesg\)/);
    expect('image' in JSON.parse(scenarioCheckJson(c))).toBe(false);
  });
});
