import { catalog } from '../catalog.ts';
import { en } from '../en.ts';

export const de = catalog({ ...en });
