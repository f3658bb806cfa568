/**
 * One plan-mode run's strategies (see ./types.ts): the image writer for
 * hibernate() and, once it has run, the swap device and the resume side's
 * page I/O for softwareResume().
 */
import { ModelError } from '../../errors.js';
import type { ResumePageIo } from '../resume.js';
import type { SwapDevice } from '../swap-read.js';
import type { PlannedImage } from './image.js';
import { PlanPageStore } from './store.js';
import type { PlanImageWriter } from './types.js';
import { planVerify } from './verify.js';
import { planWriteImage } from './writer.js';

export { estimatedPageBytes, KERNEL_OBJECT_BYTES } from './estimate.js';
export { PLAN_CRC, PlannedImage } from './image.js';
export type { PlanImageWriter, PlannedSave } from './types.js';
export { type PlanWriteResult, planWriteImage } from './writer.js';

export class PlanSession {
  private planned: PlannedImage | null = null;

  /** HibernateOptions.planWriter: remembers the planned image for the resume side. */
  readonly writer: PlanImageWriter = async (save, opts) => {
    const r = await planWriteImage(save, opts);
    this.planned = r.image;
    return r;
  };

  get image(): PlannedImage {
    if (!this.planned) throw new ModelError('PLAN_NO_IMAGE', 'plan mode: no image was planned yet');
    return this.planned;
  }

  /** The "swap device" the resume kernel opens: page 0 and the header page. */
  device(): SwapDevice {
    return this.image.device();
  }

  /** ResumeOptions.pageIo for the planned image. */
  resumeIo(): ResumePageIo {
    const image = this.image;
    let store: PlanPageStore | null = null;
    return {
      openImage: (_device, format) => image.open(format),
      store: (m, content, imageContent) => {
        store = new PlanPageStore(m, content, imageContent, image);
        return store;
      },
      verify: (m, man) => planVerify(m, store!.bootContent, man, image),
    };
  }
}
