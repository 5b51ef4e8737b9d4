/**
 * The key a client address counts under in per-address limits. An IPv6 client
 * usually holds a whole /64 (one address each for as many requests as it
 * likes), so IPv6 addresses count per /64; IPv4-mapped IPv6 counts as IPv4.
 */
import { isIPv6 } from "node:net";

function hextets(ip: string): string[] {
  let addr = ip.split("%")[0]!;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    addr = `${addr.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(fill).fill("0"), ...t].map((x) => parseInt(x, 16).toString(16));
}

/** "203.0.113.7" → itself; "2001:db8:1:2:aaaa::1" → "2001:db8:1:2::/64"; "::ffff:203.0.113.7" → "203.0.113.7". */
export function clientAddressKey(ip: string): string {
  if (!isIPv6(ip.split("%")[0]!)) return ip.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  return `${hextets(ip).slice(0, 4).join(":")}::/64`;
}
