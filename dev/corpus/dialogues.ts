/** Contact-centre dialogues for the sample corpus: an agent and a customer taking turns. */
export interface Turn {
  speaker: 'agent' | 'customer';
  text: string;
}

export const DIALOGUES: Turn[][] = [
  [
    { speaker: 'agent', text: 'Thank you for calling customer support. My name is Alice. How can I help you today?' },
    { speaker: 'customer', text: 'Hello. I would like to check the balance of my account please.' },
    { speaker: 'agent', text: 'Of course. Can you confirm your date of birth for me?' },
    { speaker: 'customer', text: 'Yes, it is the fourth of July nineteen eighty.' },
    { speaker: 'agent', text: 'Thank you. Your balance is two hundred dollars. Is there anything else?' },
    { speaker: 'customer', text: 'No, that is all. Thank you very much. Goodbye.' },
  ],
  [
    { speaker: 'agent', text: 'Good morning, you are speaking with Mary from the billing team.' },
    { speaker: 'customer', text: 'Good morning. I was charged twice for my order last week.' },
    { speaker: 'agent', text: 'I am sorry to hear that. Let me look at your order now.' },
    { speaker: 'customer', text: 'The order number is four five six seven.' },
    { speaker: 'agent', text: 'I can see the second payment. I will send a refund today.' },
    { speaker: 'customer', text: 'That is great news. Thank you for your help.' },
  ],
  [
    { speaker: 'agent', text: 'Hello, thank you for calling. How may I help you?' },
    { speaker: 'customer', text: 'I need to change the address on my account.' },
    { speaker: 'agent', text: 'No problem. What is the new address please?' },
    { speaker: 'customer', text: 'It is twelve green street in the city centre.' },
    { speaker: 'agent', text: 'Thank you. The address has been changed. Have a nice day.' },
  ],
  [
    { speaker: 'agent', text: 'Welcome to the help desk. My name is Sarah. What can I do for you?' },
    { speaker: 'customer', text: 'My internet connection has been very slow since yesterday.' },
    { speaker: 'agent', text: 'I am sorry about that. Please restart the router and wait one minute.' },
    { speaker: 'customer', text: 'Okay, I have restarted it. The lights are green now.' },
    { speaker: 'agent', text: 'Good. Can you check the speed again for me?' },
    { speaker: 'customer', text: 'Yes, it is much faster now. Thank you so much.' },
  ],
];

/** Agent voices are the ones Debian's sphinx model hears best; customers vary. */
export const AGENT_VOICES = ['en-us+f2', 'en-us+f3'];
export const CUSTOMER_VOICES = ['en-us+m3', 'en-us+f4', 'en-us+m1', 'en-us+f1'];
