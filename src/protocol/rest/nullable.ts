import Type from 'typebox';

/** A value of `schema`, or null: the API's way of saying "not set" (never an absent key). */
export const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
