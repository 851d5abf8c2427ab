import { describe, expect, it } from 'vitest';
import { isConditionalFamily, proposedImageFamily } from '../../../src/shared/conditioning';

describe('which model a dataset is proposed, and which models a prompt steers', () => {
  it('proposes the conditional model for two or more labels with images, or for usable tags', () => {
    expect(proposedImageFamily({ labels: [{ count: 10 }, { count: 4 }] })).toBe('cgan');
    expect(proposedImageFamily({ labels: [], tagCount: 3 })).toBe('cgan');
    expect(proposedImageFamily({ labels: [{ count: 10 }], tagCount: 1 })).toBe('cgan');
  });

  it('proposes the small-data GAN when there is nothing to condition on', () => {
    expect(proposedImageFamily({ labels: [] })).toBe('default');
    expect(proposedImageFamily({ labels: [], tagCount: 0 })).toBe('default');
    // One label steers nothing; a label whose images were all removed does not count.
    expect(proposedImageFamily({ labels: [{ count: 12 }] })).toBe('default');
    expect(proposedImageFamily({ labels: [{ count: 12 }, { count: 0 }] })).toBe('default');
  });

  it('only conditional families are steered by a prompt', () => {
    expect(isConditionalFamily('cgan')).toBe(true);
    for (const f of ['default', 'dcgan', 'mlpgan', 'vae', 'charlstm']) expect(isConditionalFamily(f)).toBe(false);
  });
});
