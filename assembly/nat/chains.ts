// Fixed-record tables with hash chains, shared by the ALG's tables: records of `stride` bytes, each
// with one or more u32 "next" fields; buckets hold the first index (NO_INDEX: empty).
import { NO_INDEX } from "./hash";
import { workStep } from "../work";

/** Removes `index` from the chain starting at `bucket`, following the u32 at `nextField` in each record. */
export function unlinkFrom(bucket: usize, base: usize, stride: u32, index: u32, nextField: u32): void {
  let prev = NO_INDEX;
  let i = load<u32>(bucket);
  while (i != NO_INDEX) {
    workStep();
    const next = load<u32>(base + <usize>i * stride + nextField);
    if (i == index) {
      if (prev == NO_INDEX) store<u32>(bucket, next);
      else store<u32>(base + <usize>prev * stride + nextField, next);
      return;
    }
    prev = i;
    i = next;
  }
}

@inline export function pushFront(bucket: usize, base: usize, stride: u32, index: u32, nextField: u32): void {
  store<u32>(base + <usize>index * stride + nextField, load<u32>(bucket));
  store<u32>(bucket, index);
}

/** Threads all records into a free list through `nextField`; returns the head (0, or NO_INDEX when empty). */
export function threadFree(base: usize, stride: u32, count: u32, nextField: u32): u32 {
  for (let i: u32 = 0; i < count; i++) store<u32>(base + <usize>i * stride + nextField, i + 1 < count ? i + 1 : NO_INDEX);
  return count == 0 ? NO_INDEX : 0;
}
