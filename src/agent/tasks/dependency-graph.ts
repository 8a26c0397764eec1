/**
 * Pure checks on the "depends on" graph of queue tasks: dependencies that name no task, and cycles.
 * The queue only admits tasks whose dependencies exist (or come in the same batch), so the stored
 * graph is always acyclic and a cycle can only be formed inside one request: a self-dependency, or
 * tasks of one batch that wait for each other.
 */

/** Edges of the graph: the ids a node depends on (unknown ids are not nodes and are skipped). */
export type DependencyLookup = (id: string) => readonly string[] | undefined;

/** The dependencies in `dependsOn` that are not known tasks, in the order given, without repeats. */
export function missingDependencies(dependsOn: readonly string[], exists: (id: string) => boolean): string[] {
  return [...new Set(dependsOn)].filter((id) => !exists(id));
}

type Mark = 'visiting' | 'done';

/**
 * A cycle through the given nodes, as the ids along it with the first repeated at the end
 * (`['a', 'b', 'a']`), or null when there is none. Depth-first with an explicit stack, so a long
 * chain cannot overflow the call stack; linear in nodes and edges.
 */
export function findCycle(nodes: Iterable<string>, dependenciesOf: DependencyLookup): string[] | null {
  const marks = new Map<string, Mark>();
  for (const root of nodes) {
    if (marks.has(root)) continue;
    // The path from the root to the current node, each with the index of its next edge to follow.
    const path: Array<{ id: string; edges: readonly string[]; next: number }> = [];
    const enter = (id: string): void => {
      marks.set(id, 'visiting');
      path.push({ id, edges: dependenciesOf(id) ?? [], next: 0 });
    };
    enter(root);
    while (path.length > 0) {
      const top = path[path.length - 1];
      if (top === undefined) break;
      const edge = top.edges[top.next++];
      if (edge === undefined) {
        marks.set(top.id, 'done');
        path.pop();
        continue;
      }
      if (dependenciesOf(edge) === undefined) continue;
      const mark = marks.get(edge);
      if (mark === 'done') continue;
      if (mark === 'visiting') {
        const start = path.findIndex((step) => step.id === edge);
        return [...path.slice(start).map((step) => step.id), edge];
      }
      enter(edge);
    }
  }
  return null;
}

/** `a → b → a`: how a cycle is named in error messages. */
export function describeCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}

/**
 * Every node that depends on `id`, directly or through others, in breadth-first order (nearest
 * first). `dependents` gives the direct dependents of a node.
 */
export function transitiveDependents(id: string, dependents: (id: string) => Iterable<string>): string[] {
  const seen = new Set<string>([id]);
  const order: string[] = [];
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i];
    if (current === undefined) break;
    for (const next of dependents(current)) {
      if (seen.has(next)) continue;
      seen.add(next);
      order.push(next);
      queue.push(next);
    }
  }
  return order;
}
