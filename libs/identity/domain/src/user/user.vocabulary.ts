/** Stable codes of the user's refusals; contracts/identity declares each with its HTTP status. */
export const UserRejections = {
  alreadyExists: 'USER.ALREADY_EXISTS',
  usernameTaken: 'USER.USERNAME_TAKEN',
  notFound: 'USER.NOT_FOUND',
  disabled: 'USER.DISABLED',
} as const;
