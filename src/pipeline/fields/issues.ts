/** Turning schema failures into one line a user can act on: "<where>.<path>: <message>". */

/** The part of a zod issue we use (plugins may bring any schema with the same shape). */
export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** `a.b.0` from ['a', 'b', 0]; the empty path is ''. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** `source: path: message` for the first issue, plus "(and N more)" when there are more. */
export function formatIssues(prefix: string, issues: readonly SchemaIssue[]): string {
  const first = issues[0];
  if (first === undefined) return `${prefix}: invalid`;
  const path = issuePath(first.path);
  const where = path === '' ? prefix : prefix === '' ? path : `${prefix}: ${path}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}

interface RawIssue {
  code?: unknown;
  path?: unknown;
  message?: unknown;
  errors?: unknown;
}

const pathOf = (i: RawIssue): PropertyKey[] =>
  Array.isArray(i.path) ? (i.path as PropertyKey[]) : [];

/** A union branch that failed only because the value is of another shape says nothing useful. */
function offTopic(branch: RawIssue[]): boolean {
  return branch.some(
    (i) =>
      pathOf(i).length === 0 &&
      (i.code === 'invalid_type' || i.code === 'unrecognized_keys' || i.code === 'invalid_value'),
  );
}

function flatten(issue: RawIssue, prefix: PropertyKey[]): SchemaIssue[] {
  const path = [...prefix, ...pathOf(issue)];
  // zod reports a failed union as "Invalid input" with each branch's issues: show the
  // branch that matched the value's shape, which holds the real reason.
  if (issue.code === 'invalid_union' && Array.isArray(issue.errors) && issue.errors.length > 0) {
    const branches = issue.errors as RawIssue[][];
    const relevant = branches.filter((b) => !offTopic(b)).sort((a, b) => a.length - b.length)[0];
    if (relevant !== undefined) return relevant.flatMap((i) => flatten(i, path));
  }
  return [{ path, message: typeof issue.message === 'string' ? issue.message : 'invalid' }];
}

/** The issues of a failed safeParse, whatever schema library produced them. */
export function issuesOf(error: unknown): SchemaIssue[] {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return [{ path: [], message: String(error) }];
  return (issues as RawIssue[]).flatMap((i) => flatten(i, []));
}
