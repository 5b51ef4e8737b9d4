import { describe, expect, it } from "vitest";
import type { TradeEvent } from "../shared/events";
import { createLocalBus } from "./bus";

const trade = (seq: number): TradeEvent => ({ type: "trade", seq, at: "2026-12-01T08:00:00+08:00", market: "welder.500107.2026-12-02.D1", fillId: `f${seq}`, rateFen: 3000, qty: 1, aggressor: "demand", shared: false });

describe("local bus", () => {
  it("delivers an event to the subscribers of its type only, until they unsubscribe", () => {
    const bus = createLocalBus();
    const got: number[] = [];
    const off = bus.subscribe("trade", (e) => got.push(e.seq));
    let other = 0;
    bus.subscribe("book.changed", () => other++);
    bus.publish(trade(1));
    off();
    bus.publish(trade(2));
    expect(got).toEqual([1]);
    expect(other).toBe(0);
  });

  it("keeps delivering to the others when one subscriber throws, and reports it", () => {
    const errors: unknown[] = [];
    const bus = createLocalBus((err) => errors.push(err));
    const got: number[] = [];
    bus.subscribe("trade", () => {
      throw new Error("boom");
    });
    bus.subscribe("trade", (e) => got.push(e.seq));
    expect(() => bus.publish(trade(7))).not.toThrow();
    expect(got).toEqual([7]);
    expect(errors).toHaveLength(1);
  });

  it("delivers every event to subscribeOwn in one process (all of them are its own)", () => {
    const bus = createLocalBus();
    const got: number[] = [];
    const off = bus.subscribeOwn("trade", (e) => got.push(e.seq));
    bus.publish(trade(1));
    off();
    bus.publish(trade(2));
    expect(got).toEqual([1]);
  });
});
