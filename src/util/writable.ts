/** `T` with its `readonly` modifiers removed: for building a readonly value field by field. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };
