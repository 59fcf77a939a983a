/** Expecting a UserError: the test fails when something else is thrown, or nothing. */
import { expect } from "vitest";
import { UserError } from "../../src/util/errors";

/** The UserError `run` throws. */
export function thrownUserError(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected a UserError");
}

/** The UserError `promise` rejects with. */
export async function rejectedUserError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => new Error("expected a UserError, the promise resolved"),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}
