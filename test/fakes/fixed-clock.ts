import type { Clock } from '../../src/core/ports.ts';

/** A clock tests move by hand instead of sleeping. */
export class FixedClock implements Clock {
  constructor(private current: Date = new Date('2026-11-23T10:00:00Z')) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
}
