// Screen-reader announcements through two ARIA live regions: assertive for urgent alerts, polite for the rest.
export function announcer(polite, assertive) {
  return (text, urgent = false) => {
    const region = urgent ? assertive : polite;
    region.textContent = "";
    // a fresh text node after clearing makes screen readers read repeated messages too
    requestAnimationFrame(() => { region.textContent = text; });
  };
}
