import type { z } from 'zod';

/** "nodes[2].id: must start with a letter" from a zod issue. */
export function formatZodIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  const path = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
  return path ? `${path}: ${issue.message}` : issue.message;
}
