import { catalog } from '../catalog.ts';
import { en } from '../en.ts';

export const fr = catalog({ ...en });
