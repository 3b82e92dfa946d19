// ORCH-3077: admission_share{tenant,priority} as an EWMA of "this dispatch went to tenant t" over
// the dispatches of one priority. Decay is applied lazily on read, so recording is O(1) no matter
// how many tenants exist.
interface ShareCell {
  value: number;
  at: number;
}

export class EwmaShare {
  private readonly groups = new Map<string, { count: number; cells: Map<string, ShareCell> }>();

  constructor(private readonly alpha: number) {}

  record(group: string, member: string): void {
    let g = this.groups.get(group);
    if (!g) {
      g = { count: 0, cells: new Map() };
      this.groups.set(group, g);
    }
    const cell = g.cells.get(member) ?? { value: 0, at: g.count };
    const decayed = cell.value * Math.pow(1 - this.alpha, g.count - cell.at);
    g.count += 1;
    cell.value = decayed * (1 - this.alpha) + this.alpha;
    cell.at = g.count;
    g.cells.set(member, cell);
  }

  read(group: string, member: string): number {
    const g = this.groups.get(group);
    const cell = g?.cells.get(member);
    if (!g || !cell) return 0;
    return cell.value * Math.pow(1 - this.alpha, g.count - cell.at);
  }

  /** Every (group, member, share) seen so far, sorted for stable output. */
  entries(): { group: string; member: string; share: number }[] {
    const out: { group: string; member: string; share: number }[] = [];
    for (const [group, g] of this.groups) {
      for (const member of g.cells.keys()) {
        out.push({ group, member, share: this.read(group, member) });
      }
    }
    return out.sort((a, b) =>
      a.group === b.group ? (a.member < b.member ? -1 : 1) : a.group < b.group ? -1 : 1,
    );
  }
}
