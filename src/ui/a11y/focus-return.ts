import { useEffect } from 'react';

/** A dialog's focus: where the keyboard was when it opened gets the focus back when it closes. */
export function useReturnFocus(): void {
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    return () => {
      if (before && before !== document.body && document.contains(before)) before.focus();
    };
  }, []);
}
