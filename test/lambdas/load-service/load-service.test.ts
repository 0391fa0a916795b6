import { describe, expect, it } from 'vitest';
import { parseReleaseRequest } from '../../../lambdas/load-service/load-service';

describe('parseReleaseRequest', () => {
  it('accepts a well-formed request', () => {
    const request = {
      releaseId: 'greeter-0123456789ab',
      service: 'greeter',
      commit: '0123456789ab',
      trigger: { source: 'manual' },
    };
    expect(parseReleaseRequest(request)).toEqual(request);
  });

  it('names every bad field with the value received', () => {
    expect(() =>
      parseReleaseRequest({ releaseId: 'has space', service: '', commit: 'zz', trigger: { source: 'fax' } }),
    ).toThrowError(
      /releaseId: received "has space".*service: received "".*commit: received "zz".*trigger.source: received "fax"/,
    );
    try {
      parseReleaseRequest(undefined);
    } catch (error) {
      expect((error as Error).name).toBe('InvalidReleaseRequestError');
    }
    expect.assertions(2);
  });
});
