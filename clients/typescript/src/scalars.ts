// Parley's JSON scalar: any JSON value (finite numbers, text, booleans, null, lists, objects).
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
