import { computeDeadline } from '../../lib/deadline';

describe('computeDeadline', () => {
  test('the configured budget applies when Lambda has time to spare', () => {
    expect(computeDeadline(1000, 8000, 60_000, 500)).toBe(9000);
  });

  test("the Lambda's remaining time less the safety margin wins when shorter", () => {
    expect(computeDeadline(1000, 8000, 3000, 500)).toBe(3500);
  });

  test('a budget already inside the safety margin leaves no time at all', () => {
    expect(computeDeadline(1000, 8000, 200, 500)).toBe(1000);
  });

  test('outside Lambda only the budget counts', () => {
    expect(computeDeadline(0, 8000, undefined, 500)).toBe(8000);
  });
});
